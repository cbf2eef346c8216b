// Asks the browser not to evict the lab's saved states under storage pressure.
// Only pages can ask (workers have no StorageManager.persist), and browsers
// decide silently or with a prompt, so the answer is informational.

export async function requestPersistentStorage(): Promise<boolean> {
  try {
    if (!navigator.storage?.persist) return false;
    if (await navigator.storage.persisted()) return true;
    return await navigator.storage.persist();
  } catch {
    return false;
  }
}
