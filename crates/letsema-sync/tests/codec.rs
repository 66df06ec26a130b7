//! The wire codec: every message round-trips; hostile frames give typed errors, never a
//! panic, and oversized declared lengths are refused before anything is allocated.

use letsema_sync::wire::*;

fn hash(n: u8) -> ChangeHash {
    ChangeHash([n; 32])
}

fn doc(n: u8) -> DocId {
    DocId([n; 16])
}

fn cursor() -> Cursor {
    Cursor {
        epoch: 0xdead_beef_cafe_f00d,
        seq: 1234,
    }
}

fn requests() -> Vec<Request> {
    vec![
        Request::Sync(SyncRequest {
            request_id: 1,
            push: vec![DocChanges {
                doc: doc(1),
                changes: vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3],
                encoding: ChangeEncoding::Chunks,
            }],
            pull: Some(Pull {
                cursor: Some(cursor()),
                max_bytes: 65_536,
            }),
        }),
        Request::Sync(SyncRequest {
            request_id: u64::MAX,
            push: vec![],
            pull: None,
        }),
        Request::Summary(SummaryRequest {
            request_id: 2,
            level: SummaryLevel::Root,
        }),
        Request::Summary(SummaryRequest {
            request_id: 3,
            level: SummaryLevel::Buckets,
        }),
        Request::Summary(SummaryRequest {
            request_id: 4,
            level: SummaryLevel::Docs {
                buckets: vec![0, 7, 255],
            },
        }),
        Request::Fetch(FetchRequest {
            request_id: 5,
            docs: vec![
                DocHeads {
                    doc: doc(2),
                    heads: vec![hash(1), hash(2)],
                },
                DocHeads {
                    doc: doc(3),
                    heads: vec![],
                },
            ],
            max_bytes: 1,
        }),
    ]
}

fn responses() -> Vec<Response> {
    vec![
        Response::Sync(SyncResponse {
            request_id: 1,
            push: vec![
                PushResult::Committed { doc: doc(1) },
                PushResult::CommittedWithMore {
                    doc: doc(2),
                    heads: vec![hash(3)],
                },
                PushResult::Rejected {
                    doc: doc(3),
                    code: RejectCode::ForeignActor,
                    message: "a change was written by another device's actor".into(),
                },
            ],
            pull: Some(PullPage {
                docs: vec![DocChanges {
                    doc: doc(4),
                    changes: vec![7; 300],
                    encoding: ChangeEncoding::Chunks,
                }],
                next: cursor(),
                more: true,
            }),
            repair_needed: false,
        }),
        Response::Sync(SyncResponse {
            request_id: 2,
            push: vec![],
            pull: None,
            repair_needed: true,
        }),
        Response::Summary(SummaryResponse {
            request_id: 3,
            cursor: cursor(),
            summary: Summary::Root {
                hash: [9; 32],
                docs: 500,
            },
        }),
        Response::Summary(SummaryResponse {
            request_id: 4,
            cursor: cursor(),
            summary: Summary::Buckets((0..=255u8).map(|b| [b; 8]).collect()),
        }),
        Response::Summary(SummaryResponse {
            request_id: 5,
            cursor: cursor(),
            summary: Summary::Docs(vec![DocHeads {
                doc: doc(5),
                heads: vec![hash(4)],
            }]),
        }),
        Response::Fetch(FetchResponse {
            request_id: 6,
            docs: vec![DocChanges {
                doc: doc(6),
                changes: vec![1, 2, 3],
                encoding: ChangeEncoding::Chunks,
            }],
            unknown: vec![doc(7)],
            deferred: vec![doc(8)],
        }),
        Response::Error(ErrorResponse {
            request_id: None,
            code: ErrorCode::UnsupportedVersion,
            message: "update the app".into(),
        }),
    ]
}

#[test]
fn every_message_round_trips() {
    let limits = WireLimits::default();
    for request in requests() {
        assert_eq!(Request::decode(&request.encode(), &limits), Ok(request));
    }
    for response in responses() {
        assert_eq!(Response::decode(&response.encode(), &limits), Ok(response));
    }
}

#[test]
fn large_payloads_are_deflated_and_small_ones_are_not() {
    let big = &responses()[0];
    let bytes = big.encode();
    assert_eq!(&bytes[..3], b"LSY");
    assert_eq!(bytes[3], VERSION);
    assert_eq!(bytes[4], FLAG_DEFLATE);
    assert!(bytes.len() < 200, "{} bytes", bytes.len());
    let small = Request::Summary(SummaryRequest {
        request_id: 1,
        level: SummaryLevel::Root,
    })
    .encode();
    assert_eq!(small[4], 0);
    assert_eq!(small.len(), HEADER_LEN + 3);
}

fn frame(flags: u8, declared: u32, body: &[u8]) -> Vec<u8> {
    let mut bytes = b"LSY".to_vec();
    bytes.push(VERSION);
    bytes.push(flags);
    bytes.extend_from_slice(&declared.to_le_bytes());
    bytes.extend_from_slice(body);
    bytes
}

#[test]
fn malformed_frames_give_typed_errors() {
    let limits = WireLimits::default();
    let good = requests()[0].encode();
    assert_eq!(
        Request::decode(&good[..5], &limits),
        Err(DecodeError::Truncated { len: 5 })
    );
    let mut bad = good.clone();
    bad[0] = b'X';
    assert_eq!(Request::decode(&bad, &limits), Err(DecodeError::BadMagic));
    let mut bad = good.clone();
    bad[3] = 1;
    assert_eq!(
        Request::decode(&bad, &limits),
        Err(DecodeError::UnsupportedVersion { found: 1 })
    );
    let mut bad = good.clone();
    bad[4] |= 0x80;
    assert!(matches!(
        Request::decode(&bad, &limits),
        Err(DecodeError::UnknownFlags { .. })
    ));
    assert!(matches!(
        Request::decode(&frame(0, 3, &[9, 9, 9]), &limits),
        Err(DecodeError::Payload { .. })
    ));
    assert!(matches!(
        Request::decode(&frame(0, 4, &[9, 9, 9]), &limits),
        Err(DecodeError::Payload { .. })
    ));
    // A response is not a request.
    let response = responses()[6].encode();
    assert!(Request::decode(&response, &limits).is_err());
}

#[test]
fn oversized_lengths_are_refused_before_allocating() {
    let limits = WireLimits::default();
    assert_eq!(
        Request::decode(&frame(FLAG_DEFLATE, u32::MAX, &[0]), &limits),
        Err(DecodeError::PayloadTooLarge {
            declared: u64::from(u32::MAX),
            limit: limits.max_payload_bytes
        })
    );
    let small = WireLimits {
        max_frame_bytes: 16,
        ..WireLimits::default()
    };
    assert!(matches!(
        Request::decode(&requests()[0].encode(), &small),
        Err(DecodeError::FrameTooLarge { .. })
    ));
}

#[test]
fn a_deflate_bomb_stops_at_the_declared_length() {
    let limits = WireLimits::default();
    // 16 MiB of zeros deflate to a few kilobytes; the frame declares 1 KiB.
    let bomb = miniz_oxide::deflate::compress_to_vec(&vec![0; 16 * 1024 * 1024], 10);
    assert!(bomb.len() < 64 * 1024);
    assert!(matches!(
        Request::decode(&frame(FLAG_DEFLATE, 1024, &bomb), &limits),
        Err(DecodeError::Inflate { .. })
    ));
}

#[test]
fn counts_inside_a_message_are_bounded() {
    let limits = WireLimits {
        max_docs: 2,
        max_heads: 1,
        ..WireLimits::default()
    };
    let push = Request::Sync(SyncRequest {
        request_id: 1,
        push: (0..3)
            .map(|n| DocChanges {
                doc: doc(n),
                changes: vec![],
                encoding: ChangeEncoding::Chunks,
            })
            .collect(),
        pull: None,
    });
    assert!(matches!(
        Request::decode(&push.encode(), &limits),
        Err(DecodeError::LimitExceeded {
            found: 3,
            limit: 2,
            ..
        })
    ));
    assert!(matches!(
        Request::decode(&requests()[5].encode(), &limits),
        Err(DecodeError::LimitExceeded {
            what: "heads for one document",
            ..
        })
    ));
    let huge = Request::Sync(SyncRequest {
        request_id: 1,
        push: vec![DocChanges {
            doc: doc(1),
            changes: vec![0; 2 * 1024 * 1024],
            encoding: ChangeEncoding::Chunks,
        }],
        pull: None,
    });
    assert!(matches!(
        Request::decode(&huge.encode(), &WireLimits::default()),
        Err(DecodeError::LimitExceeded { .. })
    ));
}

#[test]
fn ids_convert_to_and_from_submission_ids() {
    let id = letsema_doc::SubmissionId::parse("0f8fad5b-d9cb-469f-a165-70867728950e").expect("id");
    let doc = DocId::from(&id);
    assert_eq!(doc.0[0], 0x0f);
    assert_eq!(doc.to_string(), id.as_str());
    assert_eq!(letsema_doc::SubmissionId::from(doc), id);
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let limits = WireLimits::default();
            let _ = Request::decode(&bytes, &limits);
            let _ = Response::decode(&bytes, &limits);
            let mut framed = frame(bytes.first().copied().unwrap_or(0) & 1, bytes.len() as u32, &bytes);
            let _ = Request::decode(&framed, &limits);
            framed[4] = 0;
            let _ = Response::decode(&framed, &limits);
        }

        #[test]
        fn decoding_mutated_frames_never_panics(
            which in 0usize..13,
            mutations in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
            cut in any::<usize>(),
        ) {
            let limits = WireLimits::default();
            let all: Vec<Vec<u8>> = requests().iter().map(Request::encode)
                .chain(responses().iter().map(Response::encode)).collect();
            let mut bytes = all[which % all.len()].clone();
            for (at, value) in mutations {
                let at = HEADER_LEN.min(bytes.len() - 1) + at % (bytes.len() - HEADER_LEN.min(bytes.len() - 1));
                bytes[at] ^= value;
            }
            let _ = Request::decode(&bytes, &limits);
            let _ = Response::decode(&bytes, &limits);
            let cut = cut % (bytes.len() + 1);
            let _ = Request::decode(&bytes[..cut], &limits);
            let _ = Response::decode(&bytes[..cut], &limits);
        }
    }
}
