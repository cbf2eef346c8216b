import { expect, test, type Page } from '@playwright/test';
import { labExec, openLab, waitForReady } from './helpers/lab';

const PROOF = '/root/lab-proof.txt';

/** Flips bytes in the middle of the current saved state, behind the lab's back. */
async function corruptSavedState(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('docker-lab');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const request = <T>(r: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    const store = () => db.transaction('states', 'readwrite').objectStore('states');
    const slot = (await request(store().get('current'))) as string;
    // The frames under data-<slot>-0, -1, …; older saves: one Blob, or a Uint8Array before zstd.
    const { dataParts } = (await request(store().get(`meta-${slot}`))) as { dataParts?: number };
    const key = dataParts === undefined ? `data-${slot}` : `data-${slot}-${dataParts >> 1}`;
    const data = (await request(store().get(key))) as Blob | Uint8Array;
    const damaged = data instanceof Blob ? new Uint8Array(await data.arrayBuffer()) : data.slice();
    for (let i = 0; i < 64; i++) damaged[(damaged.length >> 1) + i] ^= 0xa5;
    await request(store().put(data instanceof Blob ? new Blob([damaged]) : damaged, key));
    db.close();
    return slot;
  });
}

test('a save survives a reload (commands it caught running are ended), and a damaged save is refused with a way forward', async ({ page }) => {
  // Four starts in one test (boot, resume, fallback, fresh): twice the usual budget.
  test.setTimeout(20 * 60_000);
  await openLab(page);
  await waitForReady(page);

  const token = `proof-${Date.now()}`;
  expect((await labExec(page, `echo ${token} > ${PROOF} && sync`)).exitCode).toBe(0);
  // Still running when the state is saved: after the reload it belongs to no one, and the lab ends it.
  await page.evaluate(() => void (document.querySelector('docker-lab') as unknown as { vm: { exec(c: string, o: object): Promise<unknown> } }).vm.exec('sleep 617', { timeoutMs: 900_000 }).catch(() => undefined));
  await expect.poll(async () => (await labExec(page, 'pgrep -f "slee[p] 617"')).exitCode).toBe(0);

  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.locator('lab-notices [data-notice="message"]')).toContainText('Saved (', { timeout: 5 * 60_000 });

  await page.reload();
  const resumed = await waitForReady(page);
  expect(resumed.source).toBe('saved');
  expect(resumed.fallbackReasons).toEqual([]);
  expect(await labExec(page, `cat ${PROOF}`)).toMatchObject({ exitCode: 0, stdout: `${token}\n` });
  await expect.poll(async () => (await labExec(page, 'pgrep -f "slee[p] 617"')).exitCode, { timeout: 10_000 }).toBe(1);

  const slot = await corruptSavedState(page);
  console.log(`[lab] corrupted saved slot ${slot}`);
  await page.reload();
  const fallback = await waitForReady(page);
  expect(fallback.source).not.toBe('saved');
  const refused = page.locator('lab-notices [data-notice="refused"]');
  await expect(refused).toContainText('damaged');
  await expect(refused).toContainText('nothing was deleted');

  await refused.getByRole('button', { name: 'Start fresh', exact: true }).click();
  const fresh = await waitForReady(page);
  expect(fresh.source).not.toBe('saved');
  await expect(refused).toHaveCount(0);
  // A fresh machine has never seen the file.
  expect((await labExec(page, `cat ${PROOF}`)).exitCode).not.toBe(0);
});
