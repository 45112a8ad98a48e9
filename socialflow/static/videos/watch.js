/* The public watch (and embed) page: plays the HLS stream, opens a playback session on the first
   play (with its traffic source), reports watched time and position every 5 s and on pause/end,
   and counts a share. Text from the server is only ever set with textContent. */
(function () {
  "use strict";
  var video = document.getElementById("player");
  var HEARTBEAT_MS = 5000;

  function attach(el) {
    var src = el.dataset.src;
    if (window.Hls && window.Hls.isSupported()) {
      var hls = new window.Hls();
      hls.loadSource(src);
      hls.attachMedia(el);
    } else if (el.canPlayType("application/vnd.apple.mpegurl")) {
      el.src = src;
    }
  }

  function post(url, body) {
    var headers = {"Content-Type": "application/json", Accept: "application/json"};
    var csrf = video && video.dataset.csrf;
    if (csrf) headers["X-CSRFToken"] = csrf;
    return fetch(url, {method: "POST", credentials: "same-origin", headers: headers, body: JSON.stringify(body)});
  }

  if (video) {
    attach(video);
    var id = video.dataset.videoId;
    var viewId = null;
    var starting = null;
    var watchedMs = 0;
    var lastTime = null;
    var lastSent = -1;

    var start = function () {
      if (!starting) {
        starting = post("/api/v1/videos/" + id + "/views", {source: video.dataset.source || "external"})
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) { viewId = data && data.view_id; return viewId; })
          .catch(function () { return null; });
      }
      return starting;
    };
    var beat = function () {
      if (!viewId || watchedMs === lastSent) return;
      lastSent = watchedMs;
      post("/api/v1/videos/" + id + "/watch", {
        view_id: viewId,
        position_ms: Math.round(video.currentTime * 1000),
        watched_ms: Math.round(watchedMs)
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
        if (data) video.dataset.counted = data.counted ? "1" : "0";
      }).catch(function () {});
    };
    video.addEventListener("play", function () { lastTime = video.currentTime; start(); });
    video.addEventListener("timeupdate", function () {
      var now = video.currentTime;
      if (lastTime !== null && !video.paused && !video.seeking) {
        var delta = now - lastTime;
        if (delta > 0 && delta < 2) watchedMs += delta * 1000; // playing, not a seek
      }
      lastTime = now;
      video.dataset.watchedMs = String(Math.round(watchedMs));
    });
    video.addEventListener("seeking", function () { lastTime = null; });
    video.addEventListener("seeked", function () { lastTime = video.currentTime; });
    video.addEventListener("pause", function () { start().then(beat); });
    video.addEventListener("ended", function () { start().then(beat); });
    window.setInterval(function () { if (!video.paused) beat(); }, HEARTBEAT_MS);
    document.addEventListener("visibilitychange", function () { if (document.hidden) beat(); });
  }

  var share = document.getElementById("share");
  if (share) {
    share.addEventListener("click", function () {
      var status = document.getElementById("share-status");
      var url = share.dataset.url;
      var copied = navigator.clipboard ? navigator.clipboard.writeText(url) : Promise.reject();
      copied.then(function () { status.textContent = "Link copied."; }, function () { status.textContent = url; });
      post("/api/v1/analytics/shares", {video: share.dataset.videoId, channel: "copy_link"}).catch(function () {});
    });
  }
})();
