import { getAddress, isAddress } from "viem";

/**
 * What is wrong with an address as a user wrote it (a config value), or undefined: 20 bytes, 0x-prefixed; mixed case
 * must be a valid EIP-55 checksum (a typo in a checksummed address is caught here).
 */
export function addressProblem(s: string): string | undefined {
  if (!isAddress(s, { strict: false })) return `expected a 0x-prefixed 20-byte address, got "${s}"`;
  if (!isAddress(s, { strict: true }))
    return `"${s}" has a bad EIP-55 checksum (a typo?); the checksummed form of these bytes is ${getAddress(s)}`;
  return undefined;
}
