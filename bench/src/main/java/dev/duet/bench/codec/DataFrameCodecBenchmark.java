package dev.duet.bench.codec;

import dev.duet.protocol.mux.DataFrame;
import dev.duet.protocol.mux.MuxFrameDecoder;
import dev.duet.protocol.mux.MuxFrameEncoder;
import dev.duet.thrift.mux.Data;
import dev.duet.thrift.mux.Frame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.apache.thrift.TDeserializer;
import org.apache.thrift.TSerializer;
import org.apache.thrift.protocol.TCompactProtocol;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One mux DATA frame encoded and decoded per operation: through our zero-copy encoder and decoder in a pipeline
 * ({@link #zeroCopyEncode} + {@link #zeroCopyDecode}), and through the generated Thrift code with a byte-array copy
 * each way, the path a plain Thrift peer would take ({@link #generatedThrift}). The decoder is fed one contiguous
 * buffer per frame, as a socket read delivers it. Run with {@code -prof gc} for heap bytes allocated per frame.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled"})
public class DataFrameCodecBenchmark {

    @Param({"64", "1024", "16384"})
    int payloadSize;

    private EmbeddedChannel encoder;
    private EmbeddedChannel decoder;
    private ByteBuf payload;
    private ByteBuf wire;
    private byte[] payloadBytes;
    private TSerializer serializer;
    private TDeserializer deserializer;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        encoder = new EmbeddedChannel(new MuxFrameEncoder());
        decoder = new EmbeddedChannel(new MuxFrameDecoder());
        payloadBytes = new byte[payloadSize];
        ThreadLocalRandom.current().nextBytes(payloadBytes);
        payload = PooledByteBufAllocator.DEFAULT.directBuffer(payloadSize).writeBytes(payloadBytes);
        encoder.writeOutbound(new DataFrame(7, payload.retainedDuplicate()));
        ByteBuf encoded = encoder.readOutbound();
        wire = PooledByteBufAllocator.DEFAULT.directBuffer(encoded.readableBytes()).writeBytes(encoded);
        encoded.release();
        serializer = new TSerializer(new TCompactProtocol.Factory());
        deserializer = new TDeserializer(new TCompactProtocol.Factory());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        payload.release();
        wire.release();
        encoder.finishAndReleaseAll();
        decoder.finishAndReleaseAll();
    }

    @Benchmark
    public int zeroCopyEncode() {
        encoder.writeOutbound(new DataFrame(7, payload.retainedDuplicate()));
        ByteBuf wire = encoder.readOutbound();
        int size = wire.readableBytes();
        wire.release();
        return size;
    }

    @Benchmark
    public int zeroCopyDecode() {
        decoder.writeInbound(wire.retainedDuplicate());
        DataFrame frame = decoder.readInbound();
        int size = frame.content().readableBytes();
        frame.release();
        return size;
    }

    @Benchmark
    public int generatedThrift() throws Exception {
        byte[] wire = serializer.serialize(Frame.data(new Data(7, ByteBuffer.wrap(payloadBytes))));
        Frame frame = new Frame();
        deserializer.deserialize(frame, wire);
        return frame.getData().getPayload().length;
    }
}
