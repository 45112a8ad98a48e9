/* Social Flow Studio: uploads through tus-js-client (npm, served from /static/vendor/) and a status poller. */
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  /* tus-js-client uploads with XMLHttpRequest, whose upload progress events move the bar during
     each PATCH (fetch reports none). Its fingerprint (file name, type, size, modification time and
     endpoint) is kept in localStorage, so choosing the same file after a reload resumes it. */
  function uploadForm(form, options) {
    var bar = document.getElementById("upload-progress");
    var status = document.getElementById("upload-status");
    var pause = document.getElementById("pause");
    var upload = null;
    var paused = false;
    if (!window.tus || !window.tus.isSupported) {
      status.textContent = "Uploads are unavailable: the tus-js-client script did not load (run `make install`, which runs npm ci).";
      form.querySelector("button[type=submit]").disabled = true;
      return;
    }
    function show(sent, total) {
      var pct = total ? Math.floor(sent * 100 / total) : 100;
      bar.value = pct;
      status.textContent = (paused ? "Paused at " : "Uploading… ") + pct + "%";
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = form.elements.file.files[0];
      if (!file) return;
      if (file.size > options.maxBytes) { status.textContent = "The file is larger than the upload limit."; return; }
      if (upload) upload.abort();
      var videoId = null;
      upload = new window.tus.Upload(file, {
        endpoint: options.endpoint,
        chunkSize: options.chunkSize,
        retryDelays: [0, 1000, 3000, 5000, 10000],
        headers: {"X-CSRFToken": csrfToken()},
        metadata: {
          filename: file.name,
          title: form.elements.title.value || file.name.replace(/\.[^.]+$/, ""),
          description: form.elements.description.value,
          visibility: form.elements.visibility.value
        },
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: true,
        onAfterResponse: function (req, res) {
          videoId = res.getHeader("Video-Id") || videoId;
        },
        onProgress: show,
        onSuccess: function () {
          bar.value = 100;
          status.textContent = "Uploaded. Processing has started.";
          form.dataset.videoId = videoId || "";
          window.setTimeout(function () { window.location.href = options.studioUrl; }, options.redirectDelayMs || 800);
        },
        onError: function (err) {
          status.textContent = "Upload failed: " + (err && err.message ? err.message : err) + " (submit again to resume)";
        }
      });
      paused = false;
      pause.textContent = "Pause";
      pause.disabled = false;
      upload.findPreviousUploads().then(function (previous) {
        if (previous.length) {
          upload.resumeFromPreviousUpload(previous[0]);
          status.textContent = "Resuming the earlier upload of this file…";
        }
        upload.start();
      });
    });
    pause.addEventListener("click", function () {
      if (!upload) return;
      if (paused) {
        paused = false;
        pause.textContent = "Pause";
        upload.start();
      } else {
        paused = true;
        pause.textContent = "Resume";
        upload.abort();
        status.textContent = "Paused at " + bar.value + "%";
      }
    });
  }

  /* Polls GET /api/v1/videos/{id} (session cookie) for rows still uploading or processing. */
  function pollStatuses(table) {
    function tick() {
      var rows = table.querySelectorAll("tr[data-status=processing], tr[data-status=uploading]");
      if (!rows.length) return;
      Promise.all(Array.prototype.map.call(rows, function (row) {
        return fetch("/api/v1/videos/" + row.dataset.videoId, {credentials: "same-origin"})
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (video) {
            if (!video) return;
            var cell = row.children[2];
            row.dataset.status = video.status;
            var html = '<span class="badge badge-' + video.status + '">' + video.status + "</span>";
            if (video.status === "processing") {
              html += ' <progress max="100" value="' + video.progress + '"></progress> ' + video.progress + "%";
            }
            if (video.error) {
              var div = document.createElement("div");
              div.className = "error";
              div.textContent = video.error;
              html += div.outerHTML;
            }
            cell.innerHTML = html;
            if (video.thumbnail_url && !row.querySelector("img")) {
              row.children[0].innerHTML = '<img class="thumb" width="96" alt="" src="' + encodeURI(video.thumbnail_url) + '">';
            }
          });
      })).then(function () { setTimeout(tick, 2000); }, function () { setTimeout(tick, 5000); });
    }
    setTimeout(tick, 1000);
  }

  /* Plays the master playlist: natively where HLS is supported (Safari), with hls.js elsewhere. */
  function attachPlayer(video) {
    if (!video) return;
    var src = video.dataset.src;
    if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = src;
    } else if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls();
      hls.loadSource(src);
      hls.attachMedia(video);
    }
  }

  window.SocialFlowStudio = {uploadForm: uploadForm, pollStatuses: pollStatuses, attachPlayer: attachPlayer};
})();
