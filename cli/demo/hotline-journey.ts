import { randomInt } from 'node:crypto';
import { CookieJar, expectStatus, hiddenFields, JourneyError, until } from './http.ts';
import { portalTokens, register, signIn, type Person, type Province } from './province.ts';
import { type Recorder, success } from './record.ts';

/** What journey 1 leaves behind, for the tests and for journey 3. */
export interface HotlineRecord {
  citizen: Omit<Person, 'password'>;
  officer: Omit<Person, 'password'>;
  ticketId: string;
  department: string;
  /** The ticket's history actions at the end (file, route, accept, resolve, close). */
  history: string[];
  status: string;
  rating: number;
  /** The work-queue page's status line after each action. */
  pageMessages: string[];
}

const DEPARTMENT = 'dept-housing';
const WORK_QUEUE_CLIENT = `workqueue-${DEPARTMENT}`;

/**
 * Journey 1: a citizen registers, signs in through the SSO and files a ticket; the router gives it to
 * dept-housing; a housing officer signs in to the department's work-queue page (an HTML form page
 * behind the SSO, driven here as a browser would) and accepts and resolves it; the citizen closes it
 * with a rating.
 */
export interface SignedUp {
  citizen: Person;
  officer: Person;
  citizenToken: string;
}

/** The journey's first steps: a citizen (and a housing officer) register; the citizen signs in. */
export async function signUp(province: Province, recorder: Recorder): Promise<SignedUp> {
  const [citizen, officer] = await Promise.all([register(province, '王小红'), register(province, '李建国')]);
  recorder.step('hotline', `citizen ${citizen.name}`, 'registers an account', `account ${citizen.accountId}`, [
    success('identity.account.create', `account/${citizen.accountId}`, 'self-registration'),
  ]);
  const { accessToken: citizenToken } = await portalTokens(province, citizen);
  recorder.step('hotline', `citizen ${citizen.name}`, 'signs in to the portal through the SSO', 'an access token', [
    success('identity.login', `account/${citizen.accountId}`, citizen.accountId),
    success('identity.token.issue', 'client/demo-portal', citizen.accountId),
  ]);
  return { citizen, officer, citizenToken };
}

/** The rest of journey 1, once the citizen is signed in. */
export async function hotlineJourney(
  province: Province,
  recorder: Recorder,
  { citizen, officer, citizenToken }: SignedUp,
): Promise<HotlineRecord> {
  const { api } = province;
  const filed = expectStatus(
    await api.post(
      '/tickets',
      {
        category: 'housing.property',
        description: '小区电梯停运三天，老人上下楼困难',
        location: { cityCode: '370200', districtCode: '370202' },
        // A phone of its own: the router links a report with the phone, category and district of an open one.
        contact: { phone: `139${String(randomInt(1e8)).padStart(8, '0')}`, name: citizen.name },
        channel: 'app',
      },
      citizenToken,
    ),
    202,
    'the citizen files a ticket',
  );
  const ticketId = String(filed.body.ticketId);
  recorder.step(
    'hotline',
    `citizen ${citizen.name}`,
    'files a hotline ticket (lift out of order)',
    `ticket ${ticketId} RECEIVED`,
    [success('hotline.ticket.file', `ticket/${ticketId}`, citizen.accountId)],
  );

  const routed = await until(
    () => api.get(`/tickets/${ticketId}`, citizenToken),
    (answer) => answer.status === 200 && answer.body.status !== 'RECEIVED',
    `ticket ${ticketId} routed`,
  );
  const department = String(routed.body.department);
  if (routed.body.status !== 'ROUTED' || department !== DEPARTMENT)
    throw new JourneyError(
      `ticket ${ticketId} went ${routed.body.status} to ${department}, not ROUTED to ${DEPARTMENT}`,
    );
  recorder.step(
    'hotline',
    'the hotline router',
    'routes the ticket',
    `ROUTED to ${department}, due ${routed.body.slaDueAt}`,
    [success('hotline.ticket.route', `ticket/${ticketId}`, 'hotline-router')],
  );

  const page = await workQueueSession(province, officer);
  if (!page.lists(ticketId)) throw new JourneyError(`the work-queue page does not list ticket ${ticketId}`);
  recorder.step(
    'hotline',
    `officer ${officer.name}`,
    `signs in to ${department}'s work-queue page through the SSO`,
    `the page lists ticket ${ticketId}, with its accept, transfer and resolve forms`,
    [
      success('identity.login', `account/${officer.accountId}`, officer.accountId),
      success('identity.token.issue', `client/${WORK_QUEUE_CLIENT}`, officer.accountId),
    ],
  );

  const accepted = await page.act(ticketId, { action: 'accept' });
  recorder.step('hotline', `officer ${officer.name}`, 'accepts it on the page', accepted, [
    success('hotline.ticket.accept', `ticket/${ticketId}`, WORK_QUEUE_CLIENT),
  ]);
  const resolved = await page.act(ticketId, { action: 'resolve', reply: '已联系物业，电梯已修复' });
  recorder.step('hotline', `officer ${officer.name}`, 'resolves it on the page with a reply', resolved, [
    success('hotline.ticket.resolve', `ticket/${ticketId}`, WORK_QUEUE_CLIENT),
  ]);

  const closed = expectStatus(
    await api.post(`/tickets/${ticketId}/actions`, { action: 'close', rating: 5 }, citizenToken),
    200,
    'the citizen closes the ticket',
  );
  const history = (closed.body.history as { action: string }[]).map((entry) => entry.action);
  recorder.step(
    'hotline',
    `citizen ${citizen.name}`,
    'closes it with a rating of 5',
    `${closed.body.status}; history ${history.join(' → ')}`,
    [success('hotline.ticket.close', `ticket/${ticketId}`, citizen.accountId)],
  );
  const { password: _citizen, ...citizenShown } = citizen;
  const { password: _officer, ...officerShown } = officer;
  return {
    citizen: citizenShown,
    officer: officerShown,
    ticketId,
    department,
    history,
    status: String(closed.body.status),
    rating: Number(closed.body.rating),
    pageMessages: [accepted, resolved],
  };
}

/**
 * The department's work-queue page (/hotline/workqueue), as a browser uses it: the page sends the
 * officer to the SSO, its callback sets the session cookie, and each row's forms post an action with
 * the page's CSRF token; the page answers with a redirect whose status line says what happened.
 */
async function workQueueSession(province: Province, officer: Person) {
  const { api } = province;
  const jar = new CookieJar();
  const start = await api.get(`/hotline/workqueue?client_id=${WORK_QUEUE_CLIENT}`);
  jar.store(start);
  const authorize = start.headers.get('location');
  if (start.status !== 302 || !authorize) throw new JourneyError(`the work-queue page answered ${start.status}`);
  const back = await signIn(province, authorize, officer, jar);
  const callback = await api.call(`${back.pathname}${back.search}`, { headers: { cookie: jar.header() } });
  jar.store(callback);
  expectStatus(callback, 303, 'the work-queue sign-in callback');

  const load = async (path = '/hotline/workqueue') => {
    const shown = expectStatus(await api.call(path, { headers: { cookie: jar.header() } }), 200, 'the work-queue page');
    jar.store(shown);
    return shown.text;
  };
  let html = await load();
  return {
    lists: (ticketId: string) => html.includes(`data-ticket="${ticketId}"`),
    async act(ticketId: string, fields: Record<string, string>): Promise<string> {
      const row = new RegExp(`<tr [^>]*data-ticket="${ticketId}">[\\s\\S]*?</tr>`).exec(html)?.[0];
      if (!row) throw new JourneyError(`the work-queue page has no row for ticket ${ticketId}`);
      const posted = await api.form(
        '/hotline/workqueue/actions',
        { ...hiddenFields(row), ...fields },
        { cookie: jar.header() },
      );
      const location = posted.headers.get('location');
      if (posted.status !== 303 || !location)
        throw new JourneyError(`the page's ${fields.action} answered ${posted.status}`);
      html = await load(location);
      const message = /<p role="status">([^<]*)<\/p>/.exec(html)?.[1] ?? '';
      if (message !== `${fields.action}: ${ticketId}`)
        throw new JourneyError(`the page's ${fields.action} said "${message}"`);
      return message;
    },
  };
}
