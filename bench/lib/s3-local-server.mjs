// Starts a local S3 (fauxqs via @kicksaw/testkit) in its own process, so that the measuring process's
// memory holds only the client side. Prints {"endpoint","bucket"} and stops when stdin ends.
import { startLocalS3 } from '@kicksaw/testkit';

const s3 = await startLocalS3();
const bucket = await s3.createBucket('bench');
process.stdout.write(`${JSON.stringify({ endpoint: s3.endpoint, bucket })}\n`);
process.stdin.resume();
process.stdin.on('end', () => s3.stop().then(() => process.exit(0)));
