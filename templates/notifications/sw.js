/* Social Flow Web Push service worker: shows pushed notifications and opens their link. */
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {text: event.data && event.data.text()}; }
  const title = data.title || "Social Flow";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.text || "",
    tag: data.id ? `sf-${data.id}` : undefined,
    data: {url: data.url || "/"},
  }));
});
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(clients.openWindow(event.notification.data.url));
});
