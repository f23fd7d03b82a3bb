package dev.duet.protocol.mux;

import io.netty.buffer.ByteBuf;

/**
 * The bytes of a {@code DATA} frame, written and parsed by hand so the payload is never copied. They are exactly what
 * the generated code writes for {@code Frame.data(new Data(streamId, payload))} with {@code TCompactProtocol}:
 *
 * <pre>
 * length:4        frame length N (big-endian), not counting these 4 bytes
 * 0x3C            Frame field 3 (data), type STRUCT
 * 0x15            Data field 1 (streamId), type I32
 * streamId:varint zigzag-encoded stream id, unsigned LEB128
 * 0x18            Data field 2 (payload), type BINARY
 * size:varint     payload length, unsigned LEB128
 * payload:size
 * 0x00            Data STOP
 * 0x00            Frame STOP
 * </pre>
 *
 * Any other valid encoding of the same struct is accepted too, through the generic Thrift path in
 * {@link MuxFrameDecoder}.
 */
final class DataFrameLayout {
    static final int FRAME_DATA_FIELD = 0x3C;
    static final int DATA_STREAM_ID_FIELD = 0x15;
    static final int DATA_PAYLOAD_FIELD = 0x18;
    /** Largest header after the length prefix: two field headers of one byte, two varints of up to five. */
    static final int MAX_HEADER = 1 + 1 + 5 + 1 + 5;
    static final int TRAILER = 2;
    /** Largest frame overhead besides the payload, length prefix excluded. */
    static final int MAX_OVERHEAD = MAX_HEADER + TRAILER;

    private DataFrameLayout() {
    }

    /** Writes the length prefix and the header that precede a payload of {@code payloadLength} bytes. */
    static void writeHeader(ByteBuf out, int streamId, int payloadLength) {
        int zigzag = (streamId << 1) ^ (streamId >> 31);
        int frameLength = 1 + 1 + varintSize(zigzag) + 1 + varintSize(payloadLength) + payloadLength + TRAILER;
        out.writeInt(frameLength);
        out.writeByte(FRAME_DATA_FIELD);
        out.writeByte(DATA_STREAM_ID_FIELD);
        writeVarint(out, zigzag);
        out.writeByte(DATA_PAYLOAD_FIELD);
        writeVarint(out, payloadLength);
    }

    /**
     * Parses {@code frame} (one whole frame body, length prefix stripped) when it has the layout above, returning a
     * frame whose payload is a retained slice of {@code frame}; returns null, leaving {@code frame} untouched, when it
     * does not. Never releases {@code frame}.
     */
    static DataFrame parse(ByteBuf frame) {
        int index = frame.readerIndex();
        int end = frame.writerIndex();
        if (end - index < 1 + 1 + 1 + 1 + 1 + TRAILER
                || frame.getUnsignedByte(index) != FRAME_DATA_FIELD
                || frame.getUnsignedByte(index + 1) != DATA_STREAM_ID_FIELD) {
            return null;
        }
        index += 2;
        long zigzag = readVarint(frame, index, end);
        if (zigzag < 0) {
            return null;
        }
        index += varintSize((int) zigzag);
        if (index >= end || frame.getUnsignedByte(index) != DATA_PAYLOAD_FIELD) {
            return null;
        }
        index++;
        long size = readVarint(frame, index, end);
        if (size < 0) {
            return null;
        }
        index += varintSize((int) size);
        if (end - index != size + TRAILER || frame.getShort(end - TRAILER) != 0) {
            return null;
        }
        int streamId = ((int) zigzag >>> 1) ^ -((int) zigzag & 1);
        return new DataFrame(streamId, frame.retainedSlice(index, (int) size));
    }

    static int varintSize(int value) {
        if ((value & 0xFFFFFF80) == 0) {
            return 1;
        }
        if ((value & 0xFFFFC000) == 0) {
            return 2;
        }
        if ((value & 0xFFE00000) == 0) {
            return 3;
        }
        if ((value & 0xF0000000) == 0) {
            return 4;
        }
        return 5;
    }

    private static void writeVarint(ByteBuf out, int value) {
        while ((value & ~0x7F) != 0) {
            out.writeByte((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out.writeByte(value);
    }

    /** An unsigned 32-bit varint in its shortest form, or -1 when it is malformed, too long, non-minimal or truncated. */
    private static long readVarint(ByteBuf in, int index, int end) {
        long value = 0;
        for (int shift = 0; shift < 35 && index < end; shift += 7, index++) {
            int b = in.getUnsignedByte(index);
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                boolean minimal = b != 0 || shift == 0;
                return value <= 0xFFFFFFFFL && minimal ? value : -1;
            }
        }
        return -1;
    }
}
