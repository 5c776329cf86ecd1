/**
 * The classroom journey [R-60] (issue 5): a teacher splits the main room into breakout groups
 * and students find themselves in their group room while they stay in the main room; the teacher
 * broadcasts, visits a group and ends the breakouts. Real Chromium, real relay, driven by role
 * and accessible name as the people would.
 *
 * Only the teacher has a camera: students join with no devices, which keeps six browser contexts
 * within what a 2-core machine can run (issue 5: ≤ 4 contexts with video).
 *
 * The countdown reaching zero is not driven here: the shortest countdown the panel offers is one
 * minute (whole minutes), and the controller's unit tests cover the end of a countdown.
 */
import type { Browser, Page } from '@playwright/test';
import { test, expect } from './support/test';
import { chatLog, expectInRoom, joinRoom, openPerson, roomPanel, uniqueRoom } from './support/app';
import { breakoutPanel, groupNumberShown, openBreakoutSetup, groupTab, mainTab, membersList, personInRoom, personJoining, roomTabs, showGroup, showMain } from './support/app-more';

// Six people joining one after another, each entering a second room: give the journey room.
test.setTimeout(150_000);

async function teacherCreates(browser: Browser, roomId: string): Promise<Page> {
  const teacher = await openPerson(browser);
  await joinRoom(teacher, roomId, { name: 'Teacher', mode: 'create' });
  await expectInRoom(teacher, roomId);
  return teacher;
}

test('[R-60] auto split with a countdown: groups, broadcast, a visit, a late student, end', async ({ browser }) => {
  const main = uniqueRoom('class');
  const teacher = await teacherCreates(browser, main);
  const names = ['Ada', 'Bo', 'Cy', 'Di'];
  const students = await Promise.all(names.map((name) => personInRoom(browser, main, { name, devices: 'No devices' })));
  await expect(membersList(roomPanel(teacher, main))).toHaveAccessibleName('5 members', { timeout: 20_000 });

  // The teacher opens the folded "Breakout rooms" section and sets up two groups, 5 minutes.
  const teacherMain = roomPanel(teacher, main);
  const hostPanel = await openBreakoutSetup(teacherMain);
  await hostPanel.getByLabel('Number of groups').fill('2');
  await hostPanel.getByLabel(/^Countdown in minutes/).fill('5');
  await hostPanel.getByLabel('Split automatically').check();
  await hostPanel.getByRole('button', { name: 'Open breakout rooms' }).click();
  await expect(hostPanel.getByRole('status').filter({ hasText: 'Breakout rooms are open' })).toBeVisible();
  await expect(hostPanel.getByRole('timer')).toHaveText(/^Time left: [45]:\d\d$/);

  // Every student is now in the main room and in one group room, without doing anything.
  for (const student of students) {
    await expect(groupTab(student, main)).toHaveCount(1, { timeout: 30_000 });
    await expect(roomTabs(student)).toHaveCount(2);
    await expect(mainTab(student, main)).toBeVisible();
  }
  // Each one's panel in the main room names the same group as their tab, with the time left.
  const groupOf = new Map<string, number>();
  for (const [index, student] of students.entries()) {
    const group = await groupNumberShown(student, main);
    await expect(groupTab(student, main, group)).toHaveCount(1);
    await expect(breakoutPanel(roomPanel(student, main)).getByRole('timer')).toHaveText(/^Time left: [45]:\d\d$/);
    // The teacher is still there in the main room.
    await expect(membersList(roomPanel(student, main))).toContainText('Teacher');
    groupOf.set(names[index], group);
  }
  // Two groups of two (the split deals students round the groups).
  const members = (group: number) => names.filter((name) => groupOf.get(name) === group);
  expect(members(1)).toHaveLength(2);
  expect(members(2)).toHaveLength(2);

  // Group mates see each other in their group room, and nobody from the other group.
  for (const [index, student] of students.entries()) {
    const group = groupOf.get(names[index])!;
    const [mate] = members(group).filter((name) => name !== names[index]);
    const [stranger] = members(3 - group);
    const list = membersList(await showGroup(student, main, group));
    await expect(list).toHaveAccessibleName('2 members', { timeout: 20_000 });
    await expect(list).toContainText(mate);
    await expect(list).toContainText(`${names[index]} (you)`);
    await expect(list).not.toContainText(stranger);
  }
  // The teacher's panel lists who is where.
  for (const group of [1, 2]) {
    await expect(hostPanel.getByRole('listitem').filter({ has: teacher.getByRole('heading', { name: `Group ${group}`, exact: true }) })).toContainText(`2 students: `);
  }

  // A message to every group reaches every student: in their panel and in the main room's chat.
  await hostPanel.getByLabel('Message to every group').fill('Five minutes, then we share.');
  await hostPanel.getByRole('button', { name: 'Send to all groups' }).click();
  await expect(hostPanel.getByRole('status').filter({ hasText: 'Sent to every group.' })).toBeVisible();
  for (const student of students) {
    const studentMain = await showMain(student, main);
    await expect(breakoutPanel(studentMain).getByRole('region', { name: 'From the teacher' })).toContainText('Five minutes, then we share.');
    await expect(chatLog(student, main)).toContainText('Announcement: Five minutes, then we share.');
  }

  // The teacher visits group 1: a tab for it, and the students there see the teacher join.
  await hostPanel.getByRole('button', { name: 'Join Group 1' }).click();
  await expect(groupTab(teacher, main, 1)).toHaveCount(1, { timeout: 20_000 });
  await showMain(teacher, main);
  const visited = hostPanel.getByRole('listitem').filter({ has: teacher.getByRole('heading', { name: 'Group 1', exact: true }) });
  await expect(visited).toContainText('You are in this group');
  await expect(visited.getByRole('button', { name: 'Leave Group 1' })).toBeVisible();
  for (const name of members(1)) {
    const student = students[names.indexOf(name)];
    const groupPanel = await showGroup(student, main, 1);
    const list = membersList(groupPanel);
    await expect(list).toHaveAccessibleName('3 members', { timeout: 20_000 });
    // The teacher leads the group: the student who opened it handed the host role over, and
    // no student can close the group or remove anyone from it.
    await expect(list.getByRole('listitem').filter({ hasText: 'Teacher' })).toContainText('Host');
    await expect(groupPanel.getByRole('button', { name: 'Close room for everyone' })).toHaveCount(0);
    await expect(list.getByRole('button', { name: /^Remove / })).toHaveCount(0);
  }

  // A student who comes late is placed in a group too (and shown it at once), while in the main room.
  const late = await personJoining(browser, main, { name: 'Eve', devices: 'No devices' });
  await expect(groupTab(late, main)).toHaveCount(1, { timeout: 30_000 });
  await showMain(late, main);
  await expectInRoom(late, main);
  const lateGroup = await groupNumberShown(late, main);
  await expect(groupTab(late, main, lateGroup)).toHaveCount(1);
  await showMain(teacher, main);
  await expect(hostPanel.getByRole('listitem').filter({ has: teacher.getByRole('heading', { name: `Group ${lateGroup}`, exact: true }) })).toContainText('Eve');

  // The teacher ends the breakouts: everyone is back to the main room only.
  await hostPanel.getByRole('button', { name: 'End breakout rooms' }).click();
  for (const student of [...students, late]) {
    await expect(groupTab(student, main)).toHaveCount(0, { timeout: 20_000 });
    await expect(roomTabs(student)).toHaveCount(1);
  }
  await expect(groupTab(teacher, main)).toHaveCount(0, { timeout: 20_000 });
  // The teacher's panel is back to its setup, saying the last breakouts ended.
  await openBreakoutSetup(teacherMain);
  await expect(hostPanel.getByRole('status').filter({ hasText: /The teacher ended the breakout rooms/ })).toBeVisible();
  await expect(hostPanel.getByRole('button', { name: 'Open breakout rooms' })).toBeEnabled();
  // And each student is told why their group room went away, not left to guess.
  for (const student of [...students, late]) {
    await expect(breakoutPanel(roomPanel(student, main)).getByRole('status')).toHaveText(/The teacher ended the breakout rooms/);
  }
});

test('[R-60] manual assignment: the teacher places each student, then moves one while groups run', async ({ browser }) => {
  const main = uniqueRoom('manual');
  const teacher = await teacherCreates(browser, main);
  const names = ['Ann', 'Ben', 'Cat'];
  const [ann, ben, cat] = await Promise.all(names.map((name) => personInRoom(browser, main, { name, devices: 'No devices' })));
  const teacherMain = roomPanel(teacher, main);
  await expect(membersList(teacherMain)).toHaveAccessibleName('4 members', { timeout: 20_000 });

  const hostPanel = await openBreakoutSetup(teacherMain);
  await hostPanel.getByLabel('Number of groups').fill('2');
  await hostPanel.getByLabel(/^Countdown in minutes/).fill('0');
  await hostPanel.getByLabel('I assign students').check();
  await hostPanel.getByLabel('Group for Ann').selectOption({ label: 'Group 1' });
  await hostPanel.getByLabel('Group for Ben').selectOption({ label: 'Group 2' });
  await hostPanel.getByLabel('Group for Cat').selectOption({ label: 'Group 2' });
  // The board shows the draft before anything opens.
  await expect(hostPanel.getByRole('region', { name: 'Group 2' })).toContainText('Ben');
  await expect(hostPanel.getByRole('region', { name: 'Group 2' })).toContainText('Cat');
  await hostPanel.getByRole('button', { name: 'Open breakout rooms' }).click();
  await expect(hostPanel.getByRole('timer')).toHaveText('No time limit');

  await expect(groupTab(ann, main, 1)).toHaveCount(1, { timeout: 30_000 });
  await expect(groupTab(ben, main, 2)).toHaveCount(1, { timeout: 30_000 });
  await expect(groupTab(cat, main, 2)).toHaveCount(1, { timeout: 30_000 });
  expect(await groupNumberShown(ann, main)).toBe(1);
  await expect(breakoutPanel(roomPanel(ann, main)).getByRole('timer')).toHaveText('No time limit');
  const benGroup = membersList(await showGroup(ben, main, 2));
  await expect(benGroup).toHaveAccessibleName('2 members', { timeout: 20_000 });
  await expect(benGroup).toContainText('Cat');

  // Cat is moved to group 1 while the groups run: she leaves group 2's room for group 1's.
  await hostPanel.getByLabel('Group for Cat').selectOption({ label: 'Group 1' });
  await expect(groupTab(cat, main, 1)).toHaveCount(1, { timeout: 30_000 });
  await expect(groupTab(cat, main, 2)).toHaveCount(0);
  await expect(benGroup).toHaveAccessibleName('1 member', { timeout: 20_000 });
  const annGroup = membersList(await showGroup(ann, main, 1));
  await expect(annGroup).toHaveAccessibleName('2 members', { timeout: 20_000 });
  await expect(annGroup).toContainText('Cat');

  await hostPanel.getByRole('button', { name: 'End breakout rooms' }).click();
  for (const student of [ann, ben, cat]) await expect(roomTabs(student)).toHaveCount(1, { timeout: 20_000 });
});
