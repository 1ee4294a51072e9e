/** The seeded customers and accounts: fixed ids the demo, the tests and the API explorer rely on. */
export interface SeedPerson {
  first: string;
  middle?: string;
  last: string;
  email: string;
  phone: string;
  address: { line1: string; line2?: string; city: string; region: string; postalCode: string };
}

export interface SeedAccount {
  id: string;
  category: 'DEPOSIT_ACCOUNT' | 'LOAN_ACCOUNT' | 'LOC_ACCOUNT' | 'INVESTMENT_ACCOUNT';
  accountType: string;
  status: 'OPEN' | 'CLOSED' | 'RESTRICTED';
  accountNumber: string;
  productName: string;
  nickname?: string;
  /** A joint holder besides the customer. */
  joint?: SeedPerson;
  /** Months before the seed date the account stopped posting (closed accounts). */
  closedMonthsAgo?: number;
}

export interface SeedCustomer {
  id: string;
  person: SeedPerson;
  accounts: SeedAccount[];
}

/** A fictional routing number with a valid ABA checksum. */
export const ROUTING_NUMBER = '123456780';
export const INSTITUTION = { name: 'Open Finance Demo Bank', dtcNumber: '0999' };

const partner: SeedPerson = {
  first: 'Sam',
  last: 'Rivera',
  email: 'sam.rivera@example.test',
  phone: '3125550143',
  address: { line1: '1850 N Clark St', line2: 'Apt 103', city: 'Chicago', region: 'IL', postalCode: '60614' },
};

export const SEED_CUSTOMERS: SeedCustomer[] = [
  {
    id: 'cust-10001',
    person: {
      first: 'Alex',
      middle: 'J',
      last: 'Rivera',
      email: 'user@example.test',
      phone: '3125550198',
      address: { line1: '1850 N Clark St', line2: 'Apt 103', city: 'Chicago', region: 'IL', postalCode: '60614' },
    },
    accounts: [
      { id: 'acc-10001-checking', category: 'DEPOSIT_ACCOUNT', accountType: 'CHECKING', status: 'OPEN', accountNumber: '4001000158201', productName: 'Everyday Checking', nickname: 'Main checking' },
      { id: 'acc-10001-savings', category: 'DEPOSIT_ACCOUNT', accountType: 'SAVINGS', status: 'OPEN', accountNumber: '4001000273314', productName: 'High Yield Savings', nickname: 'Rainy day fund', joint: partner },
      { id: 'acc-10001-mortgage', category: 'LOAN_ACCOUNT', accountType: 'MORTGAGE', status: 'OPEN', accountNumber: '7001000347042', productName: '30-Year Fixed Mortgage', nickname: 'Home loan', joint: partner },
      { id: 'acc-10001-card', category: 'LOC_ACCOUNT', accountType: 'CREDITCARD', status: 'OPEN', accountNumber: '5100000482009', productName: 'Cashback Visa', nickname: 'Everyday card' },
      { id: 'acc-10001-brokerage', category: 'INVESTMENT_ACCOUNT', accountType: 'TAXABLE', status: 'OPEN', accountNumber: '8001000510507', productName: 'Brokerage Account', nickname: 'Investments' },
      { id: 'acc-10001-closed', category: 'DEPOSIT_ACCOUNT', accountType: 'CHECKING', status: 'CLOSED', accountNumber: '4001000699118', productName: 'Basic Checking', nickname: 'Old checking', closedMonthsAgo: 6 },
      { id: 'acc-10001-restricted', category: 'DEPOSIT_ACCOUNT', accountType: 'SAVINGS', status: 'RESTRICTED', accountNumber: '4001000742270', productName: 'Goal Savings', nickname: 'Locked savings' },
    ],
  },
  {
    id: 'cust-10002',
    person: {
      first: 'Jordan',
      last: 'Lee',
      email: 'user2@example.test',
      phone: '4155550172',
      address: { line1: '2014 Mission St', city: 'San Francisco', region: 'CA', postalCode: '94110' },
    },
    accounts: [
      { id: 'acc-10002-checking', category: 'DEPOSIT_ACCOUNT', accountType: 'CHECKING', status: 'OPEN', accountNumber: '4002000118807', productName: 'Everyday Checking', nickname: 'Checking' },
      { id: 'acc-10002-studentloan', category: 'LOAN_ACCOUNT', accountType: 'STUDENTLOAN', status: 'OPEN', accountNumber: '7002000226419', productName: 'Graduate Student Loan' },
      { id: 'acc-10002-card', category: 'LOC_ACCOUNT', accountType: 'CREDITCARD', status: 'OPEN', accountNumber: '5100000935516', productName: 'Travel Rewards Mastercard' },
      { id: 'acc-10002-ira', category: 'INVESTMENT_ACCOUNT', accountType: 'ROTH', status: 'OPEN', accountNumber: '8002000364021', productName: 'Roth IRA' },
    ],
  },
];
