package dev.duet.bench.ring;

import dev.duet.ring.HashRing;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@link HashRing#ownerOf(String)}: one lookup per new client connection on a presenter. Run with {@code -prof gc}. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class OwnerLookupBenchmark {
    private static final int IDS = 1 << 16;

    @Param({"10", "100"})
    int members;

    @Param({"160", "1024"})
    int virtualNodes;

    private HashRing ring;
    private String[] coupleIds;
    private int next;

    @Setup
    public void setUp() {
        ring = HashRing.of(1, RingBalance.members(members), virtualNodes);
        List<String> ids = RingBalance.randomCoupleIds(IDS, 9);
        coupleIds = ids.toArray(new String[0]);
    }

    @Benchmark
    public Object ownerOf() {
        next = (next + 1) & (IDS - 1);
        return ring.ownerOf(coupleIds[next]);
    }
}
