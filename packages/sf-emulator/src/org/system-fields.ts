// The fields the org itself writes on every record (Id, IsDeleted, the audit stamps and users, OwnerId).

/** Lower-cased names of the fields the org sets on insert, whatever the input says (OwnerId may be given). */
export const SYSTEM_LITERAL_KEYS = new Set([
  'id',
  'isdeleted',
  'createddate',
  'createdbyid',
  'lastmodifieddate',
  'lastmodifiedbyid',
  'systemmodstamp',
  'ownerid',
]);

/**
 * The head of a compiled record literal (insert and generate plans): Id (from `idExpression`), IsDeleted when the
 * object has it, the audit stamps (`ts`) and users (`user`), in the order a stored record keeps them.
 */
export function systemLiteralParts(hasIsDeleted: boolean, idExpression: string): string[] {
  return [
    `Id: ${idExpression}`,
    ...(hasIsDeleted ? ['IsDeleted: false'] : []),
    'CreatedDate: ts',
    'CreatedById: user',
    'LastModifiedDate: ts',
    'LastModifiedById: user',
    'SystemModstamp: ts',
  ];
}
