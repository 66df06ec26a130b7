// Reads QR codes and barcodes with the camera: the start page's "Scan the QR code" and a
// barcode question's "Scan the barcode" (web/app/src/scan.rs). Loaded only when someone
// taps one of them (see app.js), so the first load does not grow; the reading itself is the
// browser's own BarcodeDetector, which the buttons are shown only where it exists (Chrome
// on Android, for one).

/** How often a frame is looked at: often enough to feel immediate, rarely enough for a
 * cheap phone's battery. */
const EVERY_MS = 200;

/**
 * Shows the back camera in `video` and reads codes until `onCode(text)` returns true for
 * one, or `signal` aborts. `kinds` is 'qr' (QR codes only) or 'any' (every format the
 * browser reads). Each new text read is passed once to `onCode`. The camera is released in
 * every case. Resolves with the accepted text (or undefined when aborted); rejects with the
 * browser's DOMException (NotAllowedError, NotFoundError, NotReadableError,
 * NotSupportedError…) when the camera or the reading cannot be used.
 */
export async function scan(video, onCode, signal, kinds = 'qr') {
  const supported = await BarcodeDetector.getSupportedFormats();
  const formats = kinds === 'any' ? supported : supported.filter((format) => format === 'qr_code');
  if (formats.length === 0) {
    throw new DOMException('this browser reads no such codes', 'NotSupportedError');
  }
  const detector = new BarcodeDetector({ formats });
  if (signal.aborted) return undefined;
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: { ideal: 'environment' } },
    audio: false,
  });
  const release = () => {
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  signal.addEventListener('abort', release, { once: true });
  try {
    if (signal.aborted) return undefined;
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    await video.play();
    let last;
    while (!signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
      if (signal.aborted || video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) continue;
      for (const code of await detector.detect(video)) {
        if (code.rawValue === last) continue;
        last = code.rawValue;
        if (onCode(code.rawValue)) return code.rawValue;
      }
    }
    return undefined;
  } catch (error) {
    // A stop while the video was starting is not a failure.
    if (signal.aborted) return undefined;
    throw error;
  } finally {
    signal.removeEventListener('abort', release);
    release();
  }
}
