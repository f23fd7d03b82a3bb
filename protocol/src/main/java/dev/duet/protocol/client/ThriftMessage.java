package dev.duet.protocol.client;

import org.apache.thrift.TSerializable;
import org.apache.thrift.protocol.TMessageType;

/**
 * One client-protocol message: the Thrift message header (method name, type, sequence id) and its struct — the
 * arguments of a CALL or ONEWAY, the result of a REPLY, or a {@link org.apache.thrift.TApplicationException} for an
 * EXCEPTION.
 */
public record ThriftMessage(String name, byte type, int seqId, TSerializable body) {

    public static ThriftMessage call(String name, int seqId, TSerializable args) {
        return new ThriftMessage(name, TMessageType.CALL, seqId, args);
    }

    public static ThriftMessage reply(String name, int seqId, TSerializable result) {
        return new ThriftMessage(name, TMessageType.REPLY, seqId, result);
    }

    public static ThriftMessage oneway(String name, TSerializable args) {
        return new ThriftMessage(name, TMessageType.ONEWAY, 0, args);
    }

    public static ThriftMessage exception(String name, int seqId, TSerializable error) {
        return new ThriftMessage(name, TMessageType.EXCEPTION, seqId, error);
    }
}
