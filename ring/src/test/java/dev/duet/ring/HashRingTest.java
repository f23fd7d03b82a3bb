package dev.duet.ring;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HashRingTest {
    private static final int COUPLES = 1_000_000;
    private static List<String> coupleIds;

    @BeforeAll
    static void randomCouples() {
        SplittableRandom random = new SplittableRandom(2026);
        coupleIds = new ArrayList<>(COUPLES);
        for (int i = 0; i < COUPLES; i++) {
            coupleIds.add(Long.toHexString(random.nextLong()));
        }
    }

    static List<Member> members(int count) {
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            members.add(new Member("chat-" + i, "10.0.0." + i, 7100, 7101));
        }
        return members;
    }

    @Test
    void spreadsCouplesEvenly() {
        Map<String, Long> load = HashRing.of(1, members(10)).load(coupleIds);
        assertEquals(10, load.size());
        double maxOverMean = Collections.max(load.values()) / (COUPLES / 10.0);
        System.out.printf("ring balance, 10 members, %d couples: max/mean = %.4f%n", COUPLES, maxOverMean);
        assertTrue(maxOverMean <= 1.10, "busiest member holds " + maxOverMean + "x the mean");
    }

    @Test
    void aNewMemberTakesAboutItsShareAndOnlyForItself() {
        HashRing ten = HashRing.of(1, members(10));
        HashRing eleven = HashRing.of(2, members(11));
        long moved = 0;
        for (String id : coupleIds) {
            String before = ten.ownerOf(id).id();
            String after = eleven.ownerOf(id).id();
            if (!before.equals(after)) {
                moved++;
                assertEquals("chat-10", after, "couple " + id + " moved between old members");
            }
        }
        double fraction = (double) moved / COUPLES;
        System.out.printf("ring 10 -> 11 members: %.4f of couples moved%n", fraction);
        assertTrue(fraction <= 1.0 / 11 + 0.02, "moved " + fraction);
        assertTrue(fraction > 0, "the new member took nothing");
    }

    @Test
    void aLeavingMemberGivesUpOnlyItsOwnCouples() {
        HashRing ten = HashRing.of(1, members(10));
        List<Member> nine = new ArrayList<>(members(10));
        nine.remove(3);
        HashRing without = HashRing.of(2, nine);
        for (String id : coupleIds) {
            String before = ten.ownerOf(id).id();
            if (!before.equals("chat-3")) {
                assertEquals(before, without.ownerOf(id).id(), "couple " + id + " moved needlessly");
            }
        }
    }

    @Test
    void aRingWithoutSomeMembersOwnsAsIfTheyHadLeft() {
        HashRing ten = HashRing.of(1, members(10));
        List<Member> nine = new ArrayList<>(members(10));
        nine.remove(3);
        HashRing left = HashRing.of(1, nine);
        HashRing without = ten.without(java.util.Set.of("chat-3"));
        assertEquals(1, without.epoch());
        assertTrue(without.member("chat-3").isEmpty());
        for (String id : coupleIds) {
            assertEquals(left.ownerOf(id).id(), without.ownerOf(id).id(), "couple " + id);
        }
        assertTrue(ten.without(java.util.Set.of("nobody")) == ten);
    }

    @Test
    void weightScalesTheShare() {
        List<Member> members = new ArrayList<>(members(4));
        members.set(0, new Member("chat-0", "10.0.0.0", 7100, 7101, 2.0));
        Map<String, Long> load = HashRing.of(1, members).load(coupleIds);
        double share = (double) load.get("chat-0") / COUPLES;
        assertEquals(2.0 / 5, share, 0.03, "a member of weight 2 among three of weight 1");
    }

    @Test
    void ownersDoNotDependOnTheOrderMembersAreGiven() {
        List<Member> shuffled = new ArrayList<>(members(10));
        Collections.shuffle(shuffled, new java.util.Random(5));
        HashRing a = HashRing.of(1, members(10));
        HashRing b = HashRing.of(1, shuffled);
        for (String id : coupleIds.subList(0, 100_000)) {
            assertEquals(a.ownerOf(id), b.ownerOf(id));
        }
    }

    @Test
    void anEmptyRingHasNoOwnerAndASingleMemberOwnsAll() {
        assertNull(HashRing.empty().ownerOf("couple-1"));
        assertTrue(HashRing.empty().isEmpty());
        Member only = members(1).get(0);
        HashRing single = HashRing.of(5, List.of(only));
        for (String id : coupleIds.subList(0, 1000)) {
            assertSame(only, single.ownerOf(id));
        }
        assertEquals(5, single.epoch());
    }
}
