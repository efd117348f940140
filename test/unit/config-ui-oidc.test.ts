import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/config.error';
import { loadGatewayConfig, type Env } from '../../src/config/config.loader';
import { tempDir, writeConfig } from '../support/gateway';

const load = (yaml: string, env: Env = {}) =>
  loadGatewayConfig({ argv: ['--config', writeConfig(yaml)], env, cwd: tempDir('gw-cwd-') });
const DISCOVERY = 'https://idp.example/realms/x/.well-known/openid-configuration';
const withJwt = (uiOidc: string, jwtauth = '') =>
  `general_settings:\n  enable_jwt_auth: true\n  ui_oidc:\n${uiOidc}${jwtauth ? `  litellm_jwtauth:\n${jwtauth}` : ''}`;

/** The start-up refusal, as one line naming the key path. */
function refusal(yaml: string, env: Env = {}): string {
  try {
    load(yaml, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  return assert.fail('expected the config to be refused');
}

describe('config: general_settings.ui_oidc (admin UI sign-in through the OpenID provider)', () => {
  it('takes client_id, discovery_url and scopes; scopes default to openid', () => {
    const full = load(
      withJwt(`    client_id: gateway-ui\n    discovery_url: ${DISCOVERY}\n    scopes: [openid, email]\n`),
    );
    assert.deepEqual(full.ui.oidc, { clientId: 'gateway-ui', discoveryUrl: DISCOVERY, scopes: ['openid', 'email'] });
    const jwks = { JWT_PUBLIC_KEY_URL: 'https://idp.example/jwks' };
    const short = load(withJwt(`    client_id: gateway-ui\n    discovery_url: ${DISCOVERY}\n`), jwks);
    assert.deepEqual(short.ui.oidc?.scopes, ['openid']);
    assert.equal(load('general_settings: {}\n').ui.oidc, undefined);
  });

  it('without discovery_url: the discovery document JWT_PUBLIC_KEY_URL names, else the JWT issuer’s', () => {
    const yaml = withJwt('    client_id: gateway-ui\n');
    const env = { JWT_PUBLIC_KEY_URL: `https://other.example/jwks,${DISCOVERY}` };
    assert.equal(load(yaml, env).ui.oidc?.discoveryUrl, DISCOVERY);
    const issuer = { JWT_PUBLIC_KEY_URL: 'https://idp.example/jwks', JWT_ISSUER: 'https://idp.example/realms/x/' };
    assert.equal(load(yaml, issuer).ui.oidc?.discoveryUrl, DISCOVERY);
  });

  it('refuses at start, naming the key, what cannot work', () => {
    const jwks = { JWT_PUBLIC_KEY_URL: 'https://idp.example/jwks' };
    assert.match(
      refusal(withJwt('    client_id: gateway-ui\n'), jwks),
      /general_settings\.ui_oidc\.discovery_url: is required: JWT_PUBLIC_KEY_URL is no OpenID discovery document/,
    );
    assert.match(
      refusal(`general_settings:\n  ui_oidc:\n    client_id: gateway-ui\n    discovery_url: ${DISCOVERY}\n`),
      /general_settings\.ui_oidc: needs general_settings\.enable_jwt_auth: true/,
    );
    assert.match(refusal(withJwt(`    discovery_url: ${DISCOVERY}\n`)), /ui_oidc\.client_id: is required/);
    assert.match(
      refusal(withJwt(`    client_id: a\n    discovery_url: ${DISCOVERY}\n    scopes: [email]\n`)),
      /ui_oidc\.scopes: must include openid/,
    );
    assert.match(
      refusal(withJwt(`    client_id: a\n    discovery_url: not-a-url\n`)),
      /discovery_url: must be an http/,
    );
    assert.match(refusal(withJwt(`    client_id: a\n    discovery_url: ${DISCOVERY}\n    secret: x\n`)), /secret/);
  });

  it('warns when the team claim is client_id: every person signing in would act as the UI’s client', () => {
    const config = load(withJwt(`    client_id: gateway-ui\n    discovery_url: ${DISCOVERY}\n`));
    assert.ok(config.warnings.some((w) => w.includes('ui_oidc') && w.includes('team "gateway-ui"')));
    const named = load(
      withJwt(`    client_id: gateway-ui\n    discovery_url: ${DISCOVERY}\n`, '    team_id_jwt_field: team\n'),
    );
    assert.ok(!named.warnings.some((w) => w.includes('ui_oidc')));
  });
});
