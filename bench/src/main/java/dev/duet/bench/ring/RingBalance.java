package dev.duet.bench.ring;

import dev.duet.ring.HashRing;
import dev.duet.ring.Member;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Prints, as JSON lines, how evenly a ring spreads random couple ids (max/mean and relative standard deviation of the
 * members' loads) and which fraction of couples moves when a member joins (10 → 11) or leaves (10 → 9).
 * Arguments: [couples=1000000] [virtual nodes...=40 80 160 320].
 */
public final class RingBalance {
    private RingBalance() {
    }

    public static void main(String[] args) {
        int couples = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int[] virtualNodes = args.length > 1
                ? IntStream.range(1, args.length).map(i -> Integer.parseInt(args[i])).toArray()
                : new int[]{40, 80, 160, 320};
        List<String> ids = randomCoupleIds(couples, 42);
        for (int vnodes : virtualNodes) {
            HashRing ten = HashRing.of(1, members(10), vnodes);
            HashRing eleven = HashRing.of(2, members(11), vnodes);
            HashRing nine = HashRing.of(3, members(9), vnodes);
            Map<String, Long> load = ten.load(ids);
            double mean = (double) couples / load.size();
            double max = load.values().stream().mapToLong(Long::longValue).max().orElse(0);
            double variance = load.values().stream().mapToDouble(l -> (l - mean) * (l - mean)).sum() / load.size();
            System.out.printf("{\"benchmark\":\"ring-balance\",\"members\":10,\"virtualNodes\":%d,\"couples\":%d,"
                            + "\"maxOverMean\":%.4f,\"relStddev\":%.4f,\"moved10to11\":%.4f,\"moved10to9\":%.4f}%n",
                    vnodes, couples, max / mean, Math.sqrt(variance) / mean, movedFraction(ten, eleven, ids),
                    movedFraction(ten, nine, ids));
        }
    }

    static List<Member> members(int count) {
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            members.add(new Member("chat-" + i, "10.0.0." + i, 7100, 7101));
        }
        return members;
    }

    static List<String> randomCoupleIds(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<String> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ids.add(Long.toHexString(random.nextLong()));
        }
        return ids;
    }

    static double movedFraction(HashRing before, HashRing after, List<String> ids) {
        long moved = ids.stream().filter(id -> !before.ownerOf(id).id().equals(after.ownerOf(id).id())).count();
        return (double) moved / ids.size();
    }
}
