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
