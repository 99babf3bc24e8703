// OAuth2 sign-in: on/off, the providers (added from the list the server offers, each with its
// client credentials, endpoints and PKCE), and which collection fields take the provider's data.
// A provider's clientSecret is write-only: the server never returns it, and keeps the stored one
// when an entry comes back without it (same name, client id and token URL), so the secret is sent
// only when typed.
import { useEffect, useState } from 'preact/hooks';
import { pb } from '../../../client.ts';
import { Button, Field } from '../../../ui.tsx';
import { ListInput, TextInput, Toggle, type Bind } from '../../parts/settings-inputs.tsx';
import type { DraftField } from '../fields-editor.tsx';
import { ChoiceInput } from './inputs.tsx';

export interface ProviderInfo {
  name: string;
  displayName: string;
}

type Provider = Record<string, unknown> & { name: string };

const OIDC = new Set(['oidc', 'oidc2', 'oidc3']);

const PKCE_OPTIONS = [
  { value: null, label: "Provider's default" },
  { value: true, label: 'On (S256 challenge)' },
  { value: false, label: 'Off' },
] as const;

/** Baton's modes for Microsoft's email (domain/auth/oauth2/accounts.ts MICROSOFT_EMAIL_CLAIMS). */
const MICROSOFT_EMAIL = [
  { value: null, label: 'Default: verified_primary_email, else email + xms_edov' },
  { value: 'verified_primary_email', label: 'verified_primary_email ID token claim' },
  { value: 'email_and_xms_edov', label: 'email + xms_edov ID token claims' },
  { value: 'email', label: 'email ID token claim' },
] as const;

/** Which field types may take each mapped value (PocketBase offers the same kinds). */
const MAPPABLE: Record<string, { label: string; types: string[] }> = {
  id: { label: 'OAuth2 id', types: ['text'] },
  name: { label: 'OAuth2 full name', types: ['text', 'editor'] },
  username: { label: 'OAuth2 username', types: ['text'] },
  avatarURL: { label: 'OAuth2 avatar', types: ['text', 'url', 'file'] },
};

/** The providers the server knows (GET /api/collections/meta/oauth2-providers); [] until loaded or when unavailable. */
function useProviderCatalogue(): ProviderInfo[] {
  const [list, setList] = useState<ProviderInfo[]>([]);
  useEffect(() => {
    pb.send<ProviderInfo[]>('/api/collections/meta/oauth2-providers', {}).then(
      (l) => setList(Array.isArray(l) ? l : []),
      () => setList([]),
    );
  }, []);
  return list;
}

export function OAuth2Options(props: { bind: Bind; fields: DraftField[]; storedProviders: string[] }) {
  const { bind } = props;
  const catalogue = useProviderCatalogue();
  const providers = ((bind.get('oauth2.providers') as Provider[] | null | undefined) ?? []).filter((p) => p && typeof p === 'object');
  const available = catalogue.filter((c) => !providers.some((p) => p.name === c.name));
  const [adding, setAdding] = useState('');
  const choice = available.some((c) => c.name === adding) ? adding : (available[0]?.name ?? '');

  const add = () => {
    if (!choice) return;
    const entry = { name: choice, clientId: '', authURL: '', tokenURL: '', userInfoURL: '', displayName: '', pkce: null, extra: null };
    bind.set('oauth2.providers', [...providers, entry]);
    requestAnimationFrame(() => document.getElementById(`oauth2-${choice}-clientId`)?.focus());
  };
  const remove = (index: number) => {
    bind.set(
      'oauth2.providers',
      providers.filter((_, i) => i !== index),
    );
    requestAnimationFrame(() => document.getElementById('oauth2-add')?.focus());
  };

  return (
    <fieldset class="ao-section">
      <legend>OAuth2</legend>
      <Toggle bind={bind} path="oauth2.enabled" label="Allow sign-in with OAuth2 providers" />
      {providers.length === 0 && <p class="muted">No providers yet.</p>}
      {providers.map((p, i) => (
        <ProviderEditor
          key={p.name}
          bind={bind}
          index={i}
          provider={p}
          info={catalogue.find((c) => c.name === p.name)}
          stored={props.storedProviders.includes(p.name)}
          onRemove={() => remove(i)}
        />
      ))}
      <div class="row ao-add">
        <Field label="Add a provider" id="oauth2-add">
          <select id="oauth2-add" value={choice} disabled={available.length === 0} onChange={(e) => setAdding(e.currentTarget.value)}>
            {available.length === 0 && <option value="">{catalogue.length ? 'Every provider is added' : 'No providers offered'}</option>}
            {available.map((c) => (
              <option key={c.name} value={c.name}>
                {c.displayName === c.name ? c.name : `${c.displayName} (${c.name})`}
              </option>
            ))}
          </select>
        </Field>
        <Button kind="secondary" class="ao-add-button" disabled={!choice} onClick={add}>
          + Add provider
        </Button>
      </div>
      <h4 class="ao-subheading">Fields filled from the provider's account</h4>
      <p class="muted">Set on sign-up with OAuth2 (the email always goes to the email field).</p>
      <div class="row">
        {Object.entries(MAPPABLE).map(([key, m]) => {
          const path = `oauth2.mappedFields.${key}`;
          const options = props.fields.filter((f) => m.types.includes(f.type) && !['id', 'password', 'tokenKey', 'email'].includes(f.name));
          const current = String(bind.get(path) ?? '');
          return (
            <Field key={key} label={m.label} error={bind.error(path)}>
              <select name={path} value={current} onChange={(e) => bind.set(path, e.currentTarget.value)}>
                <option value="">Not mapped</option>
                {current && !options.some((f) => f.name === current) && <option value={current}>{current}</option>}
                {options.map((f) => (
                  <option key={f.name} value={f.name}>
                    {f.name}
                  </option>
                ))}
              </select>
            </Field>
          );
        })}
      </div>
    </fieldset>
  );
}

function ProviderEditor(props: { bind: Bind; index: number; provider: Provider; info?: ProviderInfo; stored: boolean; onRemove: () => void }) {
  const { bind, provider } = props;
  const at = `oauth2.providers.${props.index}`;
  const name = provider.name;
  const title = String(provider.displayName || props.info?.displayName || name);
  const secret = typeof provider.clientSecret === 'string' ? provider.clientSecret : '';
  const oidc = OIDC.has(name);
  const customEndpoints = ['authURL', 'tokenURL', 'userInfoURL'].some((k) => provider[k] || bind.error(`${at}.${k}`));
  const endpoints = (
    <>
      <TextInput bind={bind} path={`${at}.authURL`} label="Auth URL" type="url" hint={oidc ? undefined : 'Empty: the provider\'s own.'} />
      <TextInput bind={bind} path={`${at}.tokenURL`} label="Token URL" type="url" hint={oidc ? undefined : 'Empty: the provider\'s own.'} />
      <TextInput bind={bind} path={`${at}.userInfoURL`} label="User info URL" type="url" hint={oidc ? 'Empty: the account is read from the verified ID token.' : 'Empty: the provider\'s own.'} />
    </>
  );
  return (
    <fieldset class="ao-provider">
      <legend>
        {title} <span class="muted mono">{name}</span>
      </legend>
      <Button kind="ghost" class="btn-small ao-remove" onClick={props.onRemove} aria-label={`Remove provider ${name}`}>
        Remove
      </Button>
      {bind.error(`${at}.name`) && (
        <p class="field-error ao-provider-error" role="alert">
          {bind.error(`${at}.name`)}
        </p>
      )}
      <div class="row">
        <Field label="Client ID" error={bind.error(`${at}.clientId`)}>
          <input
            type="text"
            id={`oauth2-${name}-clientId`}
            name={`${at}.clientId`}
            autoComplete="off"
            spellcheck={false}
            value={String(provider.clientId ?? '')}
            onInput={(e) => bind.set(`${at}.clientId`, e.currentTarget.value)}
          />
        </Field>
        <Field
          label="Client secret"
          hint={props.stored ? 'Stored and never shown; type a new one to replace it (needed when the client ID or token URL changes).' : undefined}
          error={bind.error(`${at}.clientSecret`)}
        >
          <input
            type="password"
            name={`${at}.clientSecret`}
            autoComplete="new-password"
            placeholder={props.stored ? '•••••••• (unchanged)' : ''}
            value={secret}
            onInput={(e) => {
              const value = e.currentTarget.value;
              // An empty secret is left out, so the server keeps the stored one.
              const { clientSecret: _old, ...rest } = provider;
              bind.set(at, value === '' ? rest : { ...rest, clientSecret: value });
            }}
          />
        </Field>
      </div>
      <div class="row">
        <TextInput bind={bind} path={`${at}.displayName`} label="Display name" hint={props.info ? `Empty: "${props.info.displayName}".` : undefined} />
        <ChoiceInput bind={bind} path={`${at}.pkce`} label="PKCE" options={PKCE_OPTIONS} />
      </div>
      {oidc ? (
        <>
          {endpoints}
          <div class="row">
            <TextInput bind={bind} path={`${at}.extra.jwksURL`} label="JWKS URL" type="url" hint="Keys that sign the ID token; empty: from the discovery document." />
            <ListInput bind={bind} path={`${at}.extra.issuers`} label="Issuers" hint="Comma-separated; an ID token must come from one of them." />
          </div>
          <TextInput bind={bind} path={`${at}.extra.discoveryURL`} label="Discovery URL" type="url" hint="Where .well-known/openid-configuration is, when not under the first issuer." />
        </>
      ) : (
        <>
          {name === 'microsoft' && <ChoiceInput bind={bind} path={`${at}.extra.idTokenEmailClaim`} label="Email taken from" options={MICROSOFT_EMAIL} />}
          <details class="ao-endpoints" open={customEndpoints}>
            <summary>Custom endpoints (self-hosted or single tenant)</summary>
            {endpoints}
          </details>
        </>
      )}
    </fieldset>
  );
}
