// Runs @kicksaw/sf-emulator in its own process for the sf-bulk benchmark, so that the client's CPU
// and memory figures are the client's alone. Prints one JSON line with the connection details, then
// serves until stdin closes.
import { startSalesforceEmulator } from '@kicksaw/sf-emulator';

const sf = await startSalesforceEmulator({
  objects: [
    {
      name: 'Bench__c',
      fields: [
        { name: 'Name', type: 'string' },
        { name: 'Ext__c', type: 'string', externalId: true, unique: true },
        { name: 'Email__c', type: 'email' },
        { name: 'Qty__c', type: 'double', precision: 18, scale: 2 },
        { name: 'Active__c', type: 'boolean' },
      ],
    },
  ],
});
process.stdout.write(
  `${JSON.stringify({ instanceUrl: sf.instanceUrl, accessToken: sf.accessToken, apiVersion: sf.apiVersion })}\n`,
);
process.stdin.resume();
process.stdin.on('end', async () => {
  const held = sf.org.records('Bench__c').length;
  process.stderr.write(`emulator holds ${held} Bench__c records\n`);
  await sf.stop();
  process.exit(0);
});
