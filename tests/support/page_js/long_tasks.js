// {b64, name, mime} -> {tasks: [ms], results}: the photo chosen through the page's file input as
// a user chooses it, and every main-thread task over 50 ms (Long Tasks API) from the choice until
// the page shows its result.
export default async function longTasks({ b64, name, mime }) {
  const tasks = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) tasks.push(entry.duration);
  });
  observer.observe({ type: 'longtask' });
  const before = (window.facepackResults || []).length;
  const input = document.getElementById('files');
  const files = new DataTransfer();
  files.items.add(new File([fromBase64(b64)], name, { type: mime }));
  input.files = files.files;
  input.dispatchEvent(new Event('change'));
  while ((window.facepackResults || []).length === before) await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 100)); // the observer's last entries
  observer.disconnect();
  return { tasks, results: window.facepackResults };
}
