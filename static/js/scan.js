// The check-in desk's camera: reads the QR code on a ticket or badge with jsQR (vendored from
// npm in static/vendor/jsqr) and posts the code (#scan-form), which checks the person in. The
// words come from the page (data-*), already in the desk's language. Where no camera can be
// asked for, the section stays hidden and the search by name or code does the job.
// Loaded with defer; no inline code, so it passes the Content-Security-Policy.
(function () {
  "use strict";

  // After a scan the page reloads with the result; the camera comes back by itself while the
  // desk keeps it on (stored for this tab only).
  var KEEP_SCANNING = "s3days-scanning";
  // The ticket just scanned is usually still in front of the camera when it comes back: the same
  // code is not posted again for a few seconds, or the desk would be told "already checked in"
  // in a loop, and learn to ignore the warning that spots a ticket used twice.
  var LAST_CODE = "s3days-last-code";
  var SAME_CODE_PAUSE_MS = 5000;

  function seenJustNow(text) {
    var last = JSON.parse(window.sessionStorage.getItem(LAST_CODE) || "null");
    return last !== null && last.code === text && Date.now() - last.at < SAME_CODE_PAUSE_MS;
  }

  function setUp() {
    var section = document.getElementById("scanner");
    if (!section || !window.jsQR || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return;
    }
    var start = document.getElementById("scan-start");
    var stop = document.getElementById("scan-stop");
    var video = document.getElementById("scan-video");
    var status = document.getElementById("scan-status");
    var form = document.getElementById("scan-form");
    var code = document.getElementById("scan-code");
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    var stream = null;
    section.hidden = false;

    function stopCamera() {
      if (stream) {
        stream.getTracks().forEach(function (track) { track.stop(); });
      }
      stream = null;
      video.hidden = true;
      stop.hidden = true;
      start.hidden = false;
    }

    function look() {
      if (!stream) {
        return;
      }
      if (video.readyState >= video.HAVE_ENOUGH_DATA && video.videoWidth) {
        // At most 640 pixels wide: a ticket's code reads as well, and a phone decodes a
        // full-HD frame ten times a second only by draining its battery.
        var scale = Math.min(1, 640 / video.videoWidth);
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var pixels = context.getImageData(0, 0, canvas.width, canvas.height);
        var found = window.jsQR(pixels.data, pixels.width, pixels.height, { inversionAttempts: "dontInvert" });
        if (found && found.data && !seenJustNow(found.data)) {
          window.sessionStorage.setItem(LAST_CODE, JSON.stringify({ code: found.data, at: Date.now() }));
          status.textContent = section.dataset.found + " " + found.data;
          code.value = found.data;
          stopCamera();
          form.submit();
          return;
        }
      }
      window.requestAnimationFrame(look);
    }

    function startCamera() {
      status.textContent = section.dataset.looking;
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (media) {
          stream = media;
          video.srcObject = media;
          video.hidden = false;
          start.hidden = true;
          stop.hidden = false;
          window.sessionStorage.setItem(KEEP_SCANNING, "1");
          return video.play();
        })
        .then(function () { window.requestAnimationFrame(look); })
        .catch(function () {
          stopCamera();
          window.sessionStorage.removeItem(KEEP_SCANNING);
          status.textContent = section.dataset.noCamera;
        });
    }

    start.addEventListener("click", startCamera);
    stop.addEventListener("click", function () {
      window.sessionStorage.removeItem(KEEP_SCANNING);
      stopCamera();
      status.textContent = "";
    });
    if (window.sessionStorage.getItem(KEEP_SCANNING)) {
      startCamera();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
}());
