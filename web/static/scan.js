// Reads QR codes with the camera, for the start page's "Scan the QR code" button
// (web/app/src/scan.rs). Loaded only when someone taps that button (see app.js), so the
// first load does not grow; the reading itself is the browser's own BarcodeDetector, which
// the button is shown only where it exists (Chrome on Android, for one).

/** How often a frame is looked at: often enough to feel immediate, rarely enough for a
 * cheap phone's battery. */
const EVERY_MS = 200;

/**
 * Shows the back camera in `video` and reads QR codes until `onCode(text)` returns true for
 * one, or `signal` aborts. Each new text read is passed once to `onCode`. The camera is
 * released in every case. Resolves with the accepted text (or undefined when aborted);
 * rejects with the browser's DOMException (NotAllowedError, NotFoundError,
 * NotReadableError, NotSupportedError…) when the camera or the reading cannot be used.
 */
export async function scan(video, onCode, signal) {
  const formats = await BarcodeDetector.getSupportedFormats();
  if (!formats.includes('qr_code')) {
    throw new DOMException('this browser does not read QR codes', 'NotSupportedError');
  }
  const detector = new BarcodeDetector({ formats: ['qr_code'] });
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
