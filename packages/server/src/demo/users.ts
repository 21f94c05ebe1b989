/**
 * The demo's cast and accounts. The seed provisions them and the demo login mints tokens with exactly
 * these claims, so the memberships the server upserts from a token match the seeded ones.
 */
import type { Identity } from '../auth/token.js';

export interface DemoAccount {
  id: string;
  name: string;
}

export interface DemoUser extends Identity {
  /** What they do, shown in the login picker. */
  title: string;
  email: string;
}

export const demoAccounts = {
  permit: { id: 'permit-bp-2026-0142', name: 'Building permit BP-2026-0142 — 12 Elm Street' },
  bakery: { id: 'acct-hartley', name: 'Hartley & Sons Bakery (accounting)' },
  matter: { id: 'matter-2291', name: 'Matter 2291 — Okafor lease dispute' },
} satisfies Record<string, DemoAccount>;

const { permit, bakery, matter } = demoAccounts;

const user = (id: string, name: string, role: Identity['role'], title: string, accounts: string[] | '*', email: string): DemoUser => ({
  id,
  name,
  role,
  title,
  accounts,
  email,
});

export const demoUsers = {
  // Customers
  maria: user('maria.lopez', 'Maria López', 'customer', 'Permit applicant, owner of 12 Elm Street', [permit.id], 'maria.lopez@example.com'),
  tom: user('tom.hartley', 'Tom Hartley', 'customer', 'Owner, Hartley & Sons Bakery', [bakery.id], 'tom@hartleybakery.example'),
  priya: user('priya.shah', 'Priya Shah', 'customer', 'Office manager, Hartley & Sons Bakery', [bakery.id], 'priya@hartleybakery.example'),
  grace: user('grace.okafor', 'Grace Okafor', 'customer', 'Law firm client (tenant)', [matter.id], 'grace.okafor@example.com'),
  // Staff
  dan: user('dan.reyes', 'Dan Reyes', 'staff', 'Plan reviewer, city building department', [permit.id], 'dan.reyes@city.example.gov'),
  ines: user('ines.kowalski', 'Ines Kowalski', 'staff', 'Building inspector, city building department', [permit.id], 'ines.kowalski@city.example.gov'),
  sarah: user('sarah.chen', 'Sarah Chen', 'staff', 'Accountant, Chen & Patel Accounting', [bakery.id], 'sarah.chen@chenpatel.example'),
  liam: user('liam.byrne', 'Liam Byrne', 'staff', 'Paralegal, Mercer Byrne LLP', [matter.id], 'liam.byrne@mercerbyrne.example'),
  // The portal vendor's support (seed 000): staff whose token names `staffKind: 'support'`.
  jo: { ...user('jo.park', 'Jo Park', 'staff', 'Portal support agent', [permit.id, bakery.id, matter.id], 'support@portal.example'), staffKind: 'support' },
  // Admin
  ada: user('ada.nwosu', 'Ada Nwosu', 'admin', 'Administrator (sees every account)', '*', 'ada.nwosu@portal.example'),
} satisfies Record<string, DemoUser>;

export const demoUserList: DemoUser[] = Object.values(demoUsers);

export function findDemoUser(id: string): DemoUser | undefined {
  return demoUserList.find((u) => u.id === id);
}

/** The account names a user acts in, for the picker. */
export function accountNamesOf(u: DemoUser): string[] {
  if (u.accounts === '*') return ['All accounts'];
  const names = new Map(Object.values(demoAccounts).map((a) => [a.id, a.name]));
  return u.accounts.map((id) => names.get(id) ?? id);
}
