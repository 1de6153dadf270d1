import { describe, expect, it } from 'vitest';
import { urlWithoutCredentials } from './source.js';

describe('urlWithoutCredentials', () => {
  it('drops user, password, query and fragment; keeps scheme, host, port and path', () => {
    expect(urlWithoutCredentials('https://rk_live_abc:x@api.example.com:8443/stripe?key=sk_live_1#f')).toBe(
      'https://api.example.com:8443/stripe',
    );
    expect(urlWithoutCredentials('http://127.0.0.1:8000')).toBe('http://127.0.0.1:8000/');
    expect(urlWithoutCredentials('not a url')).toBe('(not a URL)');
  });
});
