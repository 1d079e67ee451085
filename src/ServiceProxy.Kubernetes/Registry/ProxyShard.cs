using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>
/// <c>--proxy-shard K/N</c>: this process's data plane serves the Services whose namespace and name
/// hash to K of N, and the other N−1 processes on the node serve the rest. One process holds a
/// descriptor per listener and a process may hold only so many, so a node with more Service ports
/// than that runs several data planes, each following the same API. The hash is XxHash32 of
/// <c>namespace/name</c>: the same in every process and every version, so shards never overlap and
/// none is left out; a Service keeps its shard for life, with all of its ports, node ports and
/// health-check node port.
/// </summary>
internal readonly record struct ProxyShard(int Index, int Count)
{
    /// <summary>Most processes one node's Services may be split over.</summary>
    public const int MaxCount = 64;

    /// <summary>One process serves every Service.</summary>
    public static ProxyShard Whole => new(0, 1);

    /// <summary>"K/N" with 0 ≤ K &lt; N ≤ <see cref="MaxCount"/>; null or "" is <see cref="Whole"/>; <see cref="FormatException"/> saying what is wrong.</summary>
    public static ProxyShard Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Whole;
        }

        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            throw new FormatException($"\"{text}\" is not K/N (e.g. 0/3: the first of three shards)");
        }

        if (count is < 1 or > MaxCount || index >= count)
        {
            throw new FormatException($"\"{text}\" needs 0 <= K < N <= {MaxCount}");
        }

        return new ProxyShard(index, count);
    }

    /// <summary>Whether this shard serves the Service <paramref name="namespace"/>/<paramref name="name"/>.</summary>
    public bool Owns(string @namespace, string name) => Count <= 1 || Of(@namespace, name, Count) == Index;

    /// <summary>The shard of <paramref name="count"/> that serves the Service.</summary>
    public static int Of(string @namespace, string name, int count)
    {
        // Names are at most 63 + 253 characters of ASCII (validated), so the key fits the stack.
        Span<byte> key = stackalloc byte[Encoding.UTF8.GetMaxByteCount(@namespace.Length + name.Length + 1)];
        var length = Encoding.UTF8.GetBytes(@namespace, key);
        key[length++] = (byte)'/';
        length += Encoding.UTF8.GetBytes(name, key[length..]);
        return (int)(XxHash32.HashToUInt32(key[..length]) % (uint)count);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}
