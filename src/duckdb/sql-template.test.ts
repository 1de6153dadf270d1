import { describe, expect, it } from 'vitest';
import { renderSql, SqlTemplateError, sqlString, sqlStringList } from './sql-template.js';

describe('sql templating', () => {
  it('quotes strings and lists safely', () => {
    expect(sqlString("it's")).toBe("'it''s'");
    expect(sqlStringList([])).toBe('[]::VARCHAR[]');
    expect(sqlStringList(['a', "b'"])).toBe("['a', 'b''']");
  });
  it('fills placeholders and refuses missing or unused values', () => {
    expect(renderSql('select {{ a }} from {{b}}', { a: '1', b: 't' })).toBe('select 1 from t');
    expect(() => renderSql('select {{a}}', {})).toThrow(SqlTemplateError);
    expect(() => renderSql('select 1', { a: 'x' })).toThrow(/never used: a/);
  });
});
