// State names as the LTFS data (and so the Statewide_customer_count topic)
// spells them, mapped onto the region ids of @svg-maps/india.  The data
// keeps pre-2011 and colloquial spellings (ORISSA, CHATTISGARH, UTTARANCHAL,
// PONDICHERRY); the map uses today's names (Odisha, Chhattisgarh, …).
// Keys are normalised by normState(): upper case, '&' as AND, single spaces.
const STATE_TO_REGION = {
  "ANDAMAN AND NICOBAR ISLANDS": "an", "ANDAMAN AND NICOBAR": "an",
  "ANDHRA PRADESH": "ap",
  "ARUNACHAL PRADESH": "ar",
  "ASSAM": "as",
  "BIHAR": "br",
  "CHANDIGARH": "ch",
  "CHATTISGARH": "ct", "CHHATTISGARH": "ct", "CHHATISGARH": "ct",
  "DADRA AND NAGAR HAVELI": "dn",
  "DAMAN AND DIU": "dd",
  "DELHI": "dl", "NEW DELHI": "dl", "NCT OF DELHI": "dl",
  "GOA": "ga",
  "GUJARAT": "gj",
  "HARYANA": "hr",
  "HIMACHAL PRADESH": "hp",
  "JAMMU AND KASHMIR": "jk",
  "JHARKHAND": "jh",
  "KARNATAKA": "ka",
  "KERALA": "kl",
  "LAKSHADWEEP": "ld",
  "MADHYA PRADESH": "mp",
  "MAHARASHTRA": "mh",
  "MANIPUR": "mn",
  "MEGHALAYA": "ml",
  "MIZORAM": "mz",
  "NAGALAND": "nl",
  "ORISSA": "or", "ODISHA": "or",
  "PONDICHERRY": "py", "PUDUCHERRY": "py",
  "PUNJAB": "pb",
  "RAJASTHAN": "rj",
  "SIKKIM": "sk",
  "TAMIL NADU": "tn", "TAMILNADU": "tn",
  "TELANGANA": "tg",
  "TRIPURA": "tr",
  "UTTAR PRADESH": "up",
  "UTTARAKHAND": "ut", "UTTARANCHAL": "ut",
  "WEST BENGAL": "wb",
};

function normState(s) {
  return String(s).toUpperCase().replace(/&/g, " AND ").replace(/\s+/g, " ").trim();
}

function regionOf(state) {
  return STATE_TO_REGION[normState(state)] || null;
}
