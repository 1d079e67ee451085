using System.Globalization;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Kubernetes.Labels;

/// <summary>
/// A Kubernetes label selector (<c>app=myapp,tier!=db,env in (a,b),!legacy,replicas&gt;2</c>): the
/// <c>labelSelector</c> query parameter and <c>svcproxy get -l</c>. Parsed as
/// k8s.io/apimachinery/pkg/labels parses it (one pass, keys and values validated), and printed in
/// its canonical form (requirements by key, set values sorted), which parses back to the same selector.
/// </summary>
public sealed class LabelSelector
{
    private readonly IReadOnlyList<LabelRequirement> _requirements;

    private LabelSelector(IReadOnlyList<LabelRequirement> requirements) => _requirements = requirements;

    /// <summary>The empty selector: matches every object.</summary>
    public static LabelSelector Everything { get; } = new([]);

    internal IReadOnlyList<LabelRequirement> Requirements => _requirements;

    /// <summary>Parses a selector; null, empty or blank is <see cref="Everything"/>.</summary>
    /// <exception cref="FormatException">The selector does not parse.</exception>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var requirements = new LabelSelectorParser(text).Parse();
        return new LabelSelector([.. requirements.OrderBy(r => r.Key, StringComparer.Ordinal)]);
    }

    /// <summary>Whether labels (null: none) meet every requirement.</summary>
    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        labels ??= new Dictionary<string, string>();
        return _requirements.All(r => r.Matches(labels));
    }

    /// <summary>The canonical form: requirements by key, set values sorted; empty for <see cref="Everything"/>.</summary>
    public override string ToString() => string.Join(',', _requirements);
}

/// <summary>The operators of a label requirement, as k8s.io/apimachinery/pkg/selection names them.</summary>
internal enum LabelOperator
{
    Equals,
    DoubleEquals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

/// <summary>One requirement: a key, an operator and (for all but Exists and DoesNotExist) values.</summary>
internal sealed class LabelRequirement
{
    private readonly long _number;

    /// <exception cref="FormatException">The key or a value is not a valid label key or value, or a comparison value is not an integer.</exception>
    public LabelRequirement(string key, LabelOperator op, IReadOnlyCollection<string> values)
    {
        if (KubeNames.IsQualifiedName(key) is [var keyProblem, ..])
        {
            throw new FormatException($"unable to parse requirement: invalid label key \"{key}\": {keyProblem}");
        }

        Key = key;
        Operator = op;
        Values = new SortedSet<string>(values, StringComparer.Ordinal);
        switch (op)
        {
            case LabelOperator.Equals or LabelOperator.DoubleEquals or LabelOperator.NotEquals when Values.Count != 1:
                throw new FormatException("unable to parse requirement: exact-match compatibility requires one single value");
            case LabelOperator.In or LabelOperator.NotIn when Values.Count == 0:
                throw new FormatException("unable to parse requirement: for 'in', 'notin' operators, values set can't be empty");
            case LabelOperator.Exists or LabelOperator.DoesNotExist when Values.Count != 0:
                throw new FormatException("unable to parse requirement: values set must be empty for exists and does not exist");
            case LabelOperator.GreaterThan or LabelOperator.LessThan:
                if (Values.Count != 1 || !long.TryParse(Values.Min, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _number))
                {
                    throw new FormatException("unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer");
                }

                return;
        }

        foreach (var value in Values)
        {
            if (KubeNames.IsValidLabelValue(value) is [var valueProblem, ..])
            {
                throw new FormatException($"unable to parse requirement: invalid label value \"{value}\": {valueProblem}");
            }
        }
    }

    public string Key { get; }

    public LabelOperator Operator { get; }

    /// <summary>The values, sorted (a set: duplicates count once).</summary>
    public SortedSet<string> Values { get; }

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        var has = labels.TryGetValue(Key, out var value);
        return Operator switch
        {
            LabelOperator.Equals or LabelOperator.DoubleEquals or LabelOperator.In => has && Values.Contains(value!),
            LabelOperator.NotEquals or LabelOperator.NotIn => !has || !Values.Contains(value!),
            LabelOperator.Exists => has,
            LabelOperator.DoesNotExist => !has,
            LabelOperator.GreaterThan => has && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n > _number,
            LabelOperator.LessThan => has && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n < _number,
            _ => false,
        };
    }

    /// <summary>The canonical form, as Kubernetes' <c>Requirement.String()</c> writes it.</summary>
    public override string ToString() => Operator switch
    {
        LabelOperator.Exists => Key,
        LabelOperator.DoesNotExist => "!" + Key,
        LabelOperator.Equals => $"{Key}={Values.Min}",
        LabelOperator.DoubleEquals => $"{Key}=={Values.Min}",
        LabelOperator.NotEquals => $"{Key}!={Values.Min}",
        LabelOperator.GreaterThan => $"{Key}>{Values.Min}",
        LabelOperator.LessThan => $"{Key}<{Values.Min}",
        LabelOperator.In => $"{Key} in ({string.Join(',', Values)})",
        _ => $"{Key} notin ({string.Join(',', Values)})",
    };
}
