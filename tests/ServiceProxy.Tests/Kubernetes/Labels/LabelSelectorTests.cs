using ServiceProxy.Kubernetes.Labels;
using System.Diagnostics;
using ServiceProxy.Host.Admin;

namespace ServiceProxy.Tests.Kubernetes.Labels;

public sealed class LabelSelectorTests
{
    [Theory]
    [InlineData("app=myapp", "app=myapp")]
    [InlineData("tier notin (b,a,a), app==x", "app==x,tier notin (a,b)")]
    [InlineData("!legacy , replicas>2", "!legacy,replicas>2")]
    [InlineData("x in (,a)", "x in (,a)")]
    [InlineData("x in ()", "x in ()")]
    [InlineData("x=", "x=")]
    [InlineData("in in (in,notin)", "in in (in,notin)")]
    public void Selectors_print_in_kubernetes_canonical_form(string selector, string canonical) =>
        Assert.Equal(canonical, LabelSelector.Parse(selector).ToString());

    [Theory]
    [InlineData("a=b,", "found '', expected: identifier after ','")]
    [InlineData("a b", "unable to parse requirement: found 'b', expected: '=', '!=', '==', 'in', notin'")]
    [InlineData("!a b", "found 'b', expected: ',' or 'end of string'")]
    [InlineData("a in b", "unable to parse requirement: found 'b' expected: '('")]
    [InlineData("(", "found '(', expected: !, identifier, or 'end of string'")]
    [InlineData("a>b", "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer")]
    public void Malformed_selectors_are_refused_with_kubernetes_words(string selector, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => LabelSelector.Parse(selector)).Message);

    [Fact]
    public void Keys_and_values_are_validated()
    {
        Assert.StartsWith("unable to parse requirement: invalid label key \"-a\"", Assert.Throws<FormatException>(() => LabelSelector.Parse("-a=b")).Message);
        Assert.StartsWith("unable to parse requirement: invalid label value \"-b\"", Assert.Throws<FormatException>(() => LabelSelector.Parse("a=-b")).Message);
    }

    [Theory]
    [InlineData("replicas>2", true)]
    [InlineData("replicas<3", false)]
    [InlineData("app>2", false)]
    public void Comparisons_need_an_integer_label(string selector, bool expected) =>
        Assert.Equal(expected, LabelSelector.Parse(selector).Matches(new Dictionary<string, string> { ["replicas"] = "3", ["app"] = "x" }));

    [Theory]
    [InlineData(8_000)]
    [InlineData(30_000)]
    public void A_long_requirement_without_an_operator_parses_in_linear_time(int length)
    {
        var selector = "a" + new string(' ', length) + "b";

        var watch = Stopwatch.StartNew();
        Assert.Throws<FormatException>(() => LabelSelector.Parse(selector));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }
}
