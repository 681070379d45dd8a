'use strict';
// End to end: the example app in headless Chromium (Debian's chromium with
// playwright-core, no browser download), on the production build and under
// `next dev`. Every wait is bounded; only the server started here is stopped.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { chromium } = require('playwright-core');
const { ROOT, tempDir, stopChild } = require('./helpers');

const APP = path.join(ROOT, 'examples', 'nextjs-app');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const NEXT = path.join(APP, 'node_modules', 'next', 'dist', 'bin', 'next');

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

function prepare() {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'prepare-example.js')], { stdio: 'inherit' });
  const dir = tempDir('noormme-e2e-');
  const database = path.join(dir, 'blog.sqlite');
  const env = { ...process.env, NOORMME_DATABASE: database, AUTH_SECRET: 'e2e-secret-e2e-secret-e2e-secret-1234', NEXT_TELEMETRY_DISABLED: '1' };
  execFileSync(process.execPath, [path.join(APP, 'scripts', 'seed.js')], { env, stdio: 'inherit' });
  return { env, linksFile: path.join(dir, 'magic-links.log') };
}

async function runFlow(baseUrl, linksFile) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30000,
  });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(60000);
    // The list, then a search through the form.
    await page.goto(`${baseUrl}/`);
    const total = Number((await page.getByTestId('total').textContent()).match(/\d+/)[0]);
    assert.ok(total > 10, `the seeded blog lists ${total} posts`);
    assert.equal(await page.getByTestId('post').count(), 10);
    await page.getByLabel('Search').fill('journal');
    await Promise.all([page.waitForURL(/q=journal/), page.getByRole('button', { name: 'Search' }).click()]);
    const titles = await page.getByTestId('post').allTextContents();
    assert.ok(titles.length > 0 && titles.length <= 10);
    // searchParams go through the page's filterSet: declared parameters filter,
    // anything else is ignored, a bad value shows its message and no posts.
    const totalAt = async (query) => {
      const response = await page.goto(`${baseUrl}/?${query}`);
      assert.equal(response.status(), 200, query);
      return Number((await page.getByTestId('total').textContent()).match(/\d+/)[0]);
    };
    const rust = await totalAt('tags__name=rust');
    assert.ok(rust > 0 && rust < total, `tag filter: ${rust} of ${total}`);
    const either = await totalAt('tags__name__in=rust&tags__name__in=sqlite');
    assert.ok(either > rust && either < total, `repeated in keys: ${either}`);
    assert.equal(await totalAt('tags__name__in=rust,sqlite'), either);
    assert.equal(await totalAt('tags__name=sqlite&tags__name=rust'), rust, 'the last value of a repeated key acts');
    for (const ignored of ['utm_source=x', 'titel__icontains=x', 'author__email__startswith=zzz', 'author__is_staff=true', 'page=1e308', 'page=-5&page=x', 'o=']) {
      assert.equal(await totalAt(ignored), total, ignored);
      assert.equal(await page.locator('p[role=alert]').count(), 0, ignored);
    }
    for (const [garbage, message] of [['views__gte=lots', /views__gte: Enter a whole number\./], ['created_at__year=soon', /created_at__year: Enter a whole number/], ['o=-author__email', /o: Order by/]]) {
      assert.equal(await totalAt(garbage), 0, garbage);
      assert.match(await page.locator('p[role=alert]').textContent(), message);
    }
    await page.goto(`${baseUrl}/?page=1e308`);
    assert.match(await page.locator('nav span').textContent(), /Page (\d+) of \1/, 'a page past the end shows the last page');
    assert.ok((await page.getByTestId('post').count()) > 0);
    await page.goto(`${baseUrl}/?o=-views`);
    const views = (await page.getByTestId('post').allTextContents()).map((t) => Number(t.match(/(\d+) views/)[1]));
    assert.deepEqual(views, [...views].sort((a, b) => b - a), 'ordered by ?o=-views');
    // Create a post through the Server Action form: first with errors, then valid.
    await page.goto(`${baseUrl}/posts/new`);
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByTestId('error-title').waitFor();
    assert.match(await page.getByTestId('error-body').textContent(), /at least 10 characters/);
    await page.locator('select[name=author]').selectOption({ label: 'Grace Hopper' });
    await page.locator('input[name=title]').fill('Written by the browser');
    await page.locator('textarea[name=body]').fill('A post created end to end through a Server Action.');
    await Promise.all([page.waitForURL(/\/posts\/\d+$/), page.getByRole('button', { name: 'Publish' }).click()]);
    assert.equal(await page.getByTestId('title').textContent(), 'Written by the browser');
    await page.goto(`${baseUrl}/?q=${encodeURIComponent('Written by the browser')}`);
    assert.equal(await page.getByTestId('post').count(), 1);
    // Sign in with the magic link and see the protected page.
    await page.goto(`${baseUrl}/me`);
    await page.waitForURL(/\/login/);
    const email = `reader-${Date.now()}@example.com`;
    await page.getByLabel('Email').fill(email);
    await Promise.all([page.waitForURL(/\/login\/sent|verify-request/), page.getByRole('button', { name: /sign-in link/ }).click()]);
    const deadline = Date.now() + 10000;
    let link;
    while (!link && Date.now() < deadline) {
      if (fs.existsSync(linksFile)) link = fs.readFileSync(linksFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.identifier === email).at(-1)?.url;
      if (!link) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(link, 'the magic link was written');
    await page.goto(link);
    await page.waitForURL(/\/me$/);
    assert.equal(await page.getByTestId('signed-in').textContent(), `Signed in as ${email}`);
    // The link was single use.
    const again = await page.goto(link);
    assert.ok(again.url().includes('error') || !again.url().endsWith('/me'), `a used link does not sign in again (${again.url()})`);
  } finally {
    await browser.close();
  }
}

// The server listens on 127.0.0.1; the browser reaches it as `host`, which
// differs between the two runs because Next.js reports loopback hosts as
// localhost and sign-in must work from either.
async function withServer(args, env, host, fn) {
  const port = await freePort();
  const child = spawn(process.execPath, [NEXT, ...args, '-H', '127.0.0.1', '-p', String(port)], { cwd: APP, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  try {
    await waitForHttp(`http://127.0.0.1:${port}/login`, child, 120000);
    await fn(`http://${host}:${port}`);
  } catch (err) {
    err.message += `\n--- server log ---\n${log.slice(-4000)}`;
    throw err;
  } finally {
    await stopChild(child);
  }
}

test('the example app, production build, in headless Chromium', { timeout: 300000 }, async () => {
  const { env, linksFile } = prepare();
  execFileSync(process.execPath, [NEXT, 'build'], { cwd: APP, env, stdio: 'inherit' });
  await withServer(['start'], env, '127.0.0.1', (url) => runFlow(url, linksFile));
});

test('the same flow under next dev', { timeout: 300000 }, async () => {
  const { env, linksFile } = prepare();
  await withServer(['dev'], env, 'localhost', (url) => runFlow(url, linksFile));
});
