/* Social Flow Studio: a small tus 1.0 client (fetch, resumable) and a status poller. No dependencies. */
(function () {
  "use strict";
  var CHUNK = 8 * 1024 * 1024;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function b64(text) {
    return btoa(unescape(encodeURIComponent(text)));
  }

  function headers(extra) {
    var h = {"Tus-Resumable": "1.0.0", "X-CSRFToken": csrfToken()};
    for (var k in extra) h[k] = extra[k];
    return h;
  }

  function fingerprint(file) {
    return "sf-tus:" + [file.name, file.size, file.lastModified].join(":");
  }

  /* Uploads `file` with tus; resumes a previous upload of the same file (URL kept in localStorage). */
  function TusUpload(file, metadata, callbacks) {
    this.file = file;
    this.metadata = metadata;
    this.cb = callbacks;
    this.paused = false;
  }

  TusUpload.prototype.start = function () {
    var self = this;
    self.paused = false;
    var known = localStorage.getItem(fingerprint(self.file));
    var ready = known ? self.resume(known) : Promise.reject(new Error("new"));
    return ready.catch(function () { return self.create(); })
      .then(function (offset) { return self.send(offset); })
      .catch(function (err) { if (!self.paused) self.cb.onError(err); });
  };

  TusUpload.prototype.create = function () {
    var self = this;
    var meta = Object.keys(self.metadata).filter(function (k) { return self.metadata[k]; })
      .map(function (k) { return k + " " + b64(self.metadata[k]); }).join(",");
    return fetch("/api/v1/uploads/", {
      method: "POST", credentials: "same-origin",
      headers: headers({"Upload-Length": String(self.file.size), "Upload-Metadata": meta})
    }).then(function (r) {
      if (r.status !== 201) return r.json().then(function (j) { throw new Error(j.detail || ("HTTP " + r.status)); });
      self.url = r.headers.get("Location");
      self.videoId = r.headers.get("Video-Id");
      localStorage.setItem(fingerprint(self.file), self.url);
      return 0;
    });
  };

  TusUpload.prototype.resume = function (url) {
    var self = this;
    return fetch(url, {method: "HEAD", credentials: "same-origin", headers: headers({})}).then(function (r) {
      if (r.status !== 200) throw new Error("gone");
      self.url = url;
      self.videoId = r.headers.get("Video-Id");
      return parseInt(r.headers.get("Upload-Offset"), 10);
    });
  };

  TusUpload.prototype.send = function (offset) {
    var self = this;
    self.cb.onProgress(offset, self.file.size);
    if (offset >= self.file.size) {
      localStorage.removeItem(fingerprint(self.file));
      self.cb.onSuccess(self.videoId);
      return Promise.resolve();
    }
    if (self.paused) return Promise.resolve();
    var chunk = self.file.slice(offset, Math.min(offset + CHUNK, self.file.size));
    return fetch(self.url, {
      method: "PATCH", credentials: "same-origin", body: chunk,
      headers: headers({"Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream"})
    }).then(function (r) {
      if (r.status === 409) return self.resume(self.url).then(function (o) { return self.send(o); });
      if (r.status !== 204) return r.json().then(function (j) { throw new Error(j.detail || ("HTTP " + r.status)); });
      self.videoId = r.headers.get("Video-Id") || self.videoId;
      return self.send(parseInt(r.headers.get("Upload-Offset"), 10));
    }, function () {
      /* network error: wait and resume from the server's offset */
      return new Promise(function (res) { setTimeout(res, 3000); })
        .then(function () { return self.resume(self.url); })
        .then(function (o) { return self.send(o); });
    });
  };

  function uploadForm(form, options) {
    var bar = document.getElementById("upload-progress");
    var status = document.getElementById("upload-status");
    var pause = document.getElementById("pause");
    var upload = null;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = form.elements.file.files[0];
      if (!file) return;
      if (file.size > options.maxBytes) { status.textContent = "The file is larger than the upload limit."; return; }
      upload = new TusUpload(file, {
        filename: file.name,
        title: form.elements.title.value || file.name.replace(/\.[^.]+$/, ""),
        description: form.elements.description.value,
        visibility: form.elements.visibility.value
      }, {
        onProgress: function (sent, total) {
          var pct = total ? Math.floor(sent * 100 / total) : 100;
          bar.value = pct;
          status.textContent = "Uploading… " + pct + "%";
        },
        onSuccess: function () {
          status.textContent = "Uploaded. Processing has started.";
          window.location.href = options.studioUrl;
        },
        onError: function (err) { status.textContent = "Upload failed: " + err.message + " (submit again to resume)"; }
      });
      pause.disabled = false;
      upload.start();
    });
    pause.addEventListener("click", function () {
      if (!upload) return;
      if (upload.paused) { pause.textContent = "Pause"; upload.start(); }
      else { upload.paused = true; pause.textContent = "Resume"; status.textContent = "Paused."; }
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

  window.SocialFlowStudio = {TusUpload: TusUpload, uploadForm: uploadForm, pollStatuses: pollStatuses, attachPlayer: attachPlayer};
})();
