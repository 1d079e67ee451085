using System.Text.Json.Nodes;

namespace ServiceProxy.Kubernetes.Registry.Patching;

public static partial class StrategicMergePatch
{
    /// <summary>
    /// A list being merged: its items in order, with removals marked rather than shifted, and
    /// indexes by merge key (object items) and by value (other items). Lookups give the first
    /// match in list order, exactly as a scan would.
    /// </summary>
    private sealed class KeyedList
    {
        private readonly string _mergeKey;
        private readonly List<JsonNode?> _items = [];
        private readonly List<bool> _removed = [];
        private readonly Dictionary<int, Bucket> _objectsByKey = [];
        private readonly Dictionary<int, Bucket> _valuesByHash = [];

        /// <summary>Copies of <paramref name="original"/>'s items, detached from it.</summary>
        public KeyedList(string mergeKey, JsonArray? original)
        {
            _mergeKey = mergeKey;
            foreach (var item in original ?? [])
            {
                Add(item?.DeepClone());
            }
        }

        public IEnumerable<JsonNode?> Items => _items.Where((_, i) => !_removed[i]);

        public JsonNode? this[int index] => _items[index];

        public void Add(JsonNode? item)
        {
            var index = _items.Count;
            _items.Add(item);
            _removed.Add(false);
            var (table, hash) = item is JsonObject obj ? (_objectsByKey, JsonNodeHash.Of(obj[_mergeKey])) : (_valuesByHash, JsonNodeHash.Of(item));
            BucketOf(table, hash).Add(index);
        }

        /// <summary>Adds a copy of a non-object item unless an equal item is already there.</summary>
        public void AddIfAbsent(JsonNode? item)
        {
            if (_valuesByHash.TryGetValue(JsonNodeHash.Of(item), out var bucket) && bucket.Any(i => !_removed[i] && JsonNode.DeepEquals(_items[i], item)))
            {
                return;
            }

            Add(item?.DeepClone());
        }

        /// <summary>The index of the first object item that <paramref name="patchItem"/> matches, or -1.</summary>
        public int IndexOfMatch(JsonObject patchItem)
        {
            if (!_objectsByKey.TryGetValue(JsonNodeHash.Of(patchItem[_mergeKey]), out var bucket))
            {
                return -1;
            }

            // Items taken from the front (as $setElementOrder takes them) are not scanned again.
            while (bucket.Head < bucket.Count && _removed[bucket[bucket.Head]])
            {
                bucket.Head++;
            }

            for (var i = bucket.Head; i < bucket.Count; i++)
            {
                var index = bucket[i];
                if (!_removed[index] && Matches((JsonObject)_items[index]!, patchItem, _mergeKey))
                {
                    return index;
                }
            }

            return -1;
        }

        /// <summary>Removes every object item that <paramref name="patchItem"/> matches.</summary>
        public void RemoveMatches(JsonObject patchItem)
        {
            if (!_objectsByKey.TryGetValue(JsonNodeHash.Of(patchItem[_mergeKey]), out var bucket))
            {
                return;
            }

            bucket.RemoveAll(index => _removed[index] || (Matches((JsonObject)_items[index]!, patchItem, _mergeKey) && MarkRemoved(index)));
            bucket.Head = 0;
        }

        public void RemoveAt(int index) => _removed[index] = true;

        /// <summary>Puts a merged object item in the place of the one at <paramref name="index"/>.</summary>
        public void Replace(int index, JsonObject merged)
        {
            var oldHash = JsonNodeHash.Of(((JsonObject)_items[index]!)[_mergeKey]);
            var newHash = JsonNodeHash.Of(merged[_mergeKey]);
            _items[index] = merged;
            if (oldHash != newHash)
            {
                var old = _objectsByKey[oldHash];
                old.Remove(index);
                old.Head = 0;
                var bucket = BucketOf(_objectsByKey, newHash);
                var at = bucket.BinarySearch(index);
                bucket.Insert(at < 0 ? ~at : at, index);
                bucket.Head = 0;
            }
        }

        public JsonArray ToJsonArray() => [.. Items];

        private static Bucket BucketOf(Dictionary<int, Bucket> table, int hash)
        {
            if (!table.TryGetValue(hash, out var bucket))
            {
                bucket = [];
                table[hash] = bucket;
            }

            return bucket;
        }

        private bool MarkRemoved(int index)
        {
            _removed[index] = true;
            return true;
        }

        /// <summary>Indices of the items with one hash, in list order; those before <see cref="Head"/> are all removed.</summary>
        private sealed class Bucket : List<int>
        {
            public int Head { get; set; }
        }
    }

    /// <summary>A set of JSON values compared with <see cref="JsonNode.DeepEquals"/>, found by hash.</summary>
    private sealed class NodeSet
    {
        private readonly Dictionary<int, List<JsonNode?>> _byHash = [];

        public NodeSet(JsonArray items)
        {
            foreach (var item in items)
            {
                var hash = JsonNodeHash.Of(item);
                if (!_byHash.TryGetValue(hash, out var bucket))
                {
                    bucket = [];
                    _byHash[hash] = bucket;
                }

                bucket.Add(item);
            }
        }

        public bool Contains(JsonNode? item) =>
            _byHash.TryGetValue(JsonNodeHash.Of(item), out var bucket) && bucket.Any(candidate => JsonNode.DeepEquals(candidate, item));
    }
}
