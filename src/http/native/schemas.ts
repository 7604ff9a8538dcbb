/** JSON schemas shared by the native API's routes. */
export const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] } as const;
export const pageQuery = { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, after: { type: 'string', maxLength: 200 } }, additionalProperties: false } as const;

export function idOf(req: { params: unknown }): string {
  return (req.params as { id: string }).id;
}
