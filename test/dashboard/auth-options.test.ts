// The auth options of an auth collection in a real browser: an OIDC provider with its credentials
// and endpoints, one-time passwords, MFA, a token duration and a mail template, saved through the
// collection editor and read back through the API; the server's refusal shown beside its input; a
// provider's secret stored but never returned, and kept when the provider is saved again without it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { api, startServer, SUPERUSER, type TestServer } from '../support/baton.ts';
import { describeBrowser, openBrowser, screenshot, type BrowserSession } from '../support/browser.ts';

describeBrowser('dashboard: auth collection options', () => {
  let server: TestServer;
  let browser: BrowserSession;
  let page: Page;

  beforeAll(async () => {
    server = await startServer();
    browser = await openBrowser();
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${server.url}/_/#/login`);
    await page.getByLabel('Email').fill(SUPERUSER.email);
    await page.getByLabel('Password').fill(SUPERUSER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/#\/collections/);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const users = async () => (await api(server, 'GET', '/api/collections/users', { token: server.superuserToken })).body;
  /** What the server stores (the API never shows a provider's clientSecret). */
  const storedProviders = () => (server.baton.services.schema.find('users')!.options.oauth2 as { providers: Record<string, unknown>[] }).providers;
  /**
   * From the records page (where a save lands) through the sidebar's edit link, as a person would:
   * a page.goto right after a save can race the records page's own URL update.
   */
  const openAuthOptions = async () => {
    await page.locator('.sidebar').getByRole('link', { name: 'Edit collection users' }).click();
    await page.getByRole('heading', { name: 'Edit users' }).waitFor();
    await page.getByRole('tab', { name: 'Auth options' }).click();
  };
  /** The message shown beside an input: the element its aria-describedby names as its error. */
  const errorOf = async (control: Locator) => page.locator(`[id="${await control.getAttribute('id')}-error"]`);

  it('opens on the auth options from the settings page', async () => {
    await page.goto(`${server.url}/_/#/settings`);
    await page.getByRole('link', { name: 'Edit users auth options' }).click();
    await page.getByRole('heading', { name: 'Edit users' }).waitFor();
    expect(await page.getByRole('tab', { name: 'Auth options' }).getAttribute('aria-selected')).toBe('true');
    browser.assertNoErrors();
  });

  it('adds an OIDC provider, turns on OTP and MFA, changes a token duration and a mail subject', async () => {
    const oauth2 = page.getByRole('group', { name: 'OAuth2', exact: true });
    await oauth2.getByLabel('Allow sign-in with OAuth2 providers').check();
    await oauth2.getByLabel('Add a provider').selectOption('oidc');
    await oauth2.getByRole('button', { name: '+ Add provider' }).press('Enter');
    // Adding a provider moves the focus to its first input, for keyboard users.
    const provider = oauth2.getByRole('group', { name: / oidc$/ });
    const clientId = provider.getByLabel('Client ID');
    await expect.poll(() => clientId.evaluate((el) => el.matches(':focus'))).toBe(true);
    await page.keyboard.type('baton-client');
    await provider.getByLabel('Client secret').fill('baton-client-secret');
    await provider.getByLabel('Display name').fill('Company SSO');
    await provider.getByLabel('Auth URL').fill('https://sso.example.com/authorize');
    await provider.getByLabel('Token URL').fill('https://sso.example.com/token');
    await provider.getByLabel('User info URL').fill('https://sso.example.com/userinfo');
    await provider.getByLabel('Issuers').fill('https://sso.example.com');
    await oauth2.getByLabel('OAuth2 full name').selectOption('name');

    const otp = page.getByRole('group', { name: 'One-time password (OTP)' });
    await otp.getByLabel(/^Allow sign-in with a one-time password/).check();
    await otp.getByLabel('Valid for (seconds)').fill('300');
    const mfa = page.getByRole('group', { name: 'Multi-factor authentication (MFA)' });
    await mfa.getByLabel(/^Require a second sign-in method/).check();
    await mfa.getByLabel('Time for the second method (seconds)').fill('900');

    const verification = page.getByRole('group', { name: 'Verification email' });
    await verification.locator('summary').click();
    await verification.getByLabel('Subject').fill('Please confirm your {APP_NAME} address');

    // A refused value: the server's message is shown beside its input (live check, then the save).
    const authToken = page.getByLabel('Auth token duration (seconds)');
    await authToken.fill('5');
    await (await errorOf(authToken)).waitFor();
    expect(await authToken.getAttribute('aria-invalid')).toBe('true');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('The collection was not saved: fix the marked fields.').waitFor();
    const message = await (await errorOf(authToken)).textContent();
    expect(message).toMatch(/no less than 10/i);
    expect((await users()).authToken.duration).not.toBe(5);

    await authToken.fill('3600');
    await expect.poll(async () => (await errorOf(authToken)).count()).toBe(0);
    // The picture: a tall window, scrolled to the OAuth2 section with its new provider.
    await page.setViewportSize({ width: 1280, height: 1500 });
    await oauth2.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await screenshot(page, 'auth-options');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(/#\/collections\/users$/);

    const saved = await users();
    expect(saved.oauth2.enabled).toBe(true);
    expect(saved.oauth2.mappedFields.name).toBe('name');
    expect(saved.oauth2.providers).toHaveLength(1);
    expect(saved.oauth2.providers[0]).toMatchObject({
      name: 'oidc',
      clientId: 'baton-client',
      displayName: 'Company SSO',
      authURL: 'https://sso.example.com/authorize',
      tokenURL: 'https://sso.example.com/token',
      userInfoURL: 'https://sso.example.com/userinfo',
      extra: { issuers: ['https://sso.example.com'] },
    });
    expect(saved.oauth2.providers[0].clientSecret).toBeUndefined();
    expect(storedProviders()[0].clientSecret).toBe('baton-client-secret');
    expect(saved.otp).toMatchObject({ enabled: true, duration: 300 });
    expect(saved.mfa).toMatchObject({ enabled: true, duration: 900 });
    expect(saved.authToken.duration).toBe(3600);
    expect(saved.authToken.secret).toBeUndefined();
    expect(saved.verificationTemplate.subject).toBe('Please confirm your {APP_NAME} address');
    browser.assertNoErrors();
  });

  it('keeps the stored secret when the provider is saved without one, and asks for it when the client changes', async () => {
    await openAuthOptions();
    const provider = page.getByRole('group', { name: /^Company SSO oidc/ });
    await expect.poll(() => provider.getByLabel('Client secret').getAttribute('placeholder')).toMatch(/unchanged/);
    await provider.getByLabel('Display name').fill('Company sign-in');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(/#\/collections\/users$/);
    expect((await users()).oauth2.providers[0].displayName).toBe('Company sign-in');
    expect(storedProviders()[0].clientSecret).toBe('baton-client-secret');

    // Another client id without a new secret: the stored one does not follow it.
    await openAuthOptions();
    const renamed = page.getByRole('group', { name: /^Company sign-in oidc/ });
    const clientId = renamed.getByLabel('Client ID');
    await clientId.fill('another-client');
    const secret = renamed.getByLabel('Client secret');
    await (await errorOf(secret)).waitFor();
    expect(await (await errorOf(secret)).textContent()).toBe('Cannot be blank.');
    await secret.fill('another-secret');
    await expect.poll(async () => (await errorOf(secret)).count()).toBe(0);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(/#\/collections\/users$/);
    expect(storedProviders()[0]).toMatchObject({ clientId: 'another-client', clientSecret: 'another-secret' });
    browser.assertNoErrors();
  });

  it('invalidates issued tokens by a new secret, and removes a provider', async () => {
    const before = (server.baton.services.schema.find('users')!.options.fileToken as { secret: string }).secret;
    await openAuthOptions();
    const invalidate = page.getByRole('button', { name: 'Invalidate all issued protected file tokens' });
    await invalidate.click();
    expect(await page.getByRole('button', { name: /Protected file tokens issued so far stop working/ }).getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('button', { name: 'Remove provider oidc' }).click();
    // MFA needs two methods; with OAuth2 off, password and OTP still make two.
    await page.getByLabel('Allow sign-in with OAuth2 providers').uncheck();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(/#\/collections\/users$/);
    const after = (server.baton.services.schema.find('users')!.options.fileToken as { secret: string }).secret;
    expect(after).not.toBe(before);
    expect(after).toHaveLength(50);
    const saved = await users();
    expect(saved.oauth2).toMatchObject({ enabled: false, providers: [] });
    browser.assertNoErrors();
  });
});
