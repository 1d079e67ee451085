using System.Text.RegularExpressions;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// A Kubernetes label selector (<c>app=myapp,tier!=db,env in (a,b),!legacy</c>): the
/// <c>labelSelector</c> query parameter and <c>svcproxy get -l</c>.
/// </summary>
internal sealed partial class LabelSelector
{
    private readonly IReadOnlyList<Func<IReadOnlyDictionary<string, string>, bool>> _requirements;

    private LabelSelector(IReadOnlyList<Func<IReadOnlyDictionary<string, string>, bool>> requirements) => _requirements = requirements;

    public static LabelSelector Everything { get; } = new([]);

    /// <exception cref="FormatException">The selector does not parse.</exception>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var requirements = new List<Func<IReadOnlyDictionary<string, string>, bool>>();
        foreach (Match match in Requirement().Matches(text))
        {
            requirements.Add(ToPredicate(match.Value.Trim()));
        }

        return new LabelSelector(requirements);
    }

    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        labels ??= new Dictionary<string, string>();
        return _requirements.All(r => r(labels));
    }

    private static Func<IReadOnlyDictionary<string, string>, bool> ToPredicate(string requirement)
    {
        if (SetRequirement().Match(requirement) is { Success: true } set)
        {
            var key = set.Groups["key"].Value;
            var values = set.Groups["values"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            var negate = set.Groups["op"].Value == "notin";
            return labels => labels.TryGetValue(key, out var v) ? values.Contains(v) != negate : negate;
        }

        if (requirement.StartsWith('!'))
        {
            var key = requirement[1..].Trim();
            return labels => !labels.ContainsKey(key);
        }

        var notEqual = requirement.IndexOf("!=", StringComparison.Ordinal);
        if (notEqual > 0)
        {
            var key = requirement[..notEqual].Trim();
            var value = requirement[(notEqual + 2)..].Trim();
            return labels => !labels.TryGetValue(key, out var v) || v != value;
        }

        var equal = requirement.IndexOf('=');
        if (equal > 0)
        {
            var key = requirement[..equal].Trim();
            var value = requirement[(equal + 1)..].TrimStart('=').Trim();
            return labels => labels.TryGetValue(key, out var v) && v == value;
        }

        var exists = requirement.Trim();
        if (exists.Length == 0 || exists.Contains(' '))
        {
            throw new FormatException($"unable to parse requirement: found '{requirement}'");
        }

        return labels => labels.ContainsKey(exists);
    }

    [GeneratedRegex(@"[^,(]+\s+(in|notin)\s*\([^)]*\)|[^,]+")]
    private static partial Regex Requirement();

    [GeneratedRegex(@"^(?<key>[^\s!=]+)\s+(?<op>in|notin)\s*\((?<values>[^)]*)\)$")]
    private static partial Regex SetRequirement();
}
