using System.Buffers.Binary;
using System.Text;

namespace ServiceProxy.Tests.Dns;

/// <summary>Queries built byte by byte and responses read back, independent of the server's codec.</summary>
internal static class DnsMessages
{
    public static byte[] Query(string name, ushort type = 1, ushort id = 0x1234, ushort @class = 1, int opcode = 0, ushort? ednsPayload = null, byte ednsVersion = 0, bool rd = true)
    {
        var bytes = new List<byte> { (byte)(id >> 8), (byte)id, (byte)((opcode << 3) | (rd ? 1 : 0)), 0, 0, 1, 0, 0, 0, 0, 0, (byte)(ednsPayload is null ? 0 : 1) };
        bytes.AddRange(Name(name));
        bytes.AddRange([(byte)(type >> 8), (byte)type, (byte)(@class >> 8), (byte)@class]);
        if (ednsPayload is { } payload)
        {
            bytes.AddRange([0, 0, 41, (byte)(payload >> 8), (byte)payload, 0, ednsVersion, 0, 0, 0, 0]);
        }

        return [.. bytes];
    }

    public static byte[] Name(string name)
    {
        var bytes = new List<byte>();
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.Add(0);
        return [.. bytes];
    }

    public static Response Read(ReadOnlySpan<byte> message) => new(message.ToArray());

    internal sealed class Response(byte[] bytes)
    {
        public byte[] Bytes { get; } = bytes;

        public ushort Id => BinaryPrimitives.ReadUInt16BigEndian(Bytes);

        public bool IsResponse => (Bytes[2] & 0x80) != 0;

        public bool Authoritative => (Bytes[2] & 0x04) != 0;

        public bool Truncated => (Bytes[2] & 0x02) != 0;

        public bool RecursionAvailable => (Bytes[3] & 0x80) != 0;

        public int Rcode => Bytes[3] & 0xF;

        public int Questions => BinaryPrimitives.ReadUInt16BigEndian(Bytes.AsSpan(4));

        public int Answers => BinaryPrimitives.ReadUInt16BigEndian(Bytes.AsSpan(6));

        public int Authority => BinaryPrimitives.ReadUInt16BigEndian(Bytes.AsSpan(8));

        public int Additional => BinaryPrimitives.ReadUInt16BigEndian(Bytes.AsSpan(10));
    }
}
