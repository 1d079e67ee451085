using ServiceProxy.Kubernetes.Labels;
using System.Globalization;
using System.Text;
using CsCheck;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using ServiceProxy.Host.Admin;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Tests.Properties;

/// <summary>Properties of the label and field selector parsers and of Go duration parsing.</summary>
public sealed class SelectorAndDurationProperties
{
    private const long BytesPerInputByte = 400;
    private const long ConstantBytes = 64 * 1024;

    /// <summary>Text made of the selector grammar's pieces, so that most samples get deep into the parser.</summary>
    private static readonly Gen<string> SelectorText = Gen.OneOf(
            "a", "b", "app", "example.com/x", "in", "notin", "=", "==", "!=", "!", "(", ")", ",", ">", "<", " ", "1", "-2", "v", "", "é", "\t")
        .Array[0, 16].Select(parts => string.Concat(parts));

    private static readonly Gen<Dictionary<string, string>> Labels =
        Gen.Dictionary(Gen.OneOf("a", "b", "app", "in", "example.com/x"), Gen.OneOf("", "v", "1", "-2", "in", "b"))[0, 4];

    [Fact]
    public void Label_selectors_fail_only_with_FormatException_and_work_is_bounded() =>
        SelectorText.Sample(text =>
        {
            var allocated = Work.AllocatedAllowing<FormatException>(() => LabelSelector.Parse(text));

            Assert.InRange(allocated, 0, (BytesPerInputByte * text.Length) + ConstantBytes);
        }, iter: 5000);

    [Fact]
    public void Label_selectors_print_a_form_that_parses_back_to_the_same_selector() =>
        Gen.Select(SelectorText, Labels).Sample((text, labels) =>
        {
            LabelSelector parsed;
            try
            {
                parsed = LabelSelector.Parse(text);
            }
            catch (FormatException)
            {
                return;
            }

            var printed = parsed.ToString();
            var reparsed = LabelSelector.Parse(printed);

            Assert.Equal(printed, reparsed.ToString());
            Assert.Equal(parsed.Matches(labels), reparsed.Matches(labels));
        }, iter: 5000);

    [Fact]
    public void Field_selectors_fail_only_with_a_Status_and_work_is_bounded() =>
        Gen.OneOf("metadata.name", "metadata.namespace", "spec.x", "=", "==", "!=", ",", "a", "", " ", "!")
            .Array[0, 12].Select(parts => string.Concat(parts))
            .Sample(text =>
            {
                var query = new QueryCollection(new Dictionary<string, StringValues> { ["fieldSelector"] = text });

                var allocated = Work.AllocatedAllowing<ApiException>(() => ObjectFilter.FromQuery(query, name: null));

                Assert.InRange(allocated, 0, (BytesPerInputByte * text.Length) + ConstantBytes);
            }, iter: 5000);

    private static readonly Gen<string> DurationText = Gen.OneOf(
            "1", "0", "15", ".", "5.", ".5", "ns", "us", "µs", "ms", "s", "m", "h", "-", "+", "d", "99999999999999999999", "1e3")
        .Array[0, 10].Select(parts => string.Concat(parts));

    [Fact]
    public void Go_durations_never_throw_and_work_is_bounded() =>
        Gen.OneOf(DurationText, Gen.String).Sample(text =>
        {
            var allocated = Work.Allocated(() => GoDuration.TryParse(text, out _));

            Assert.InRange(allocated, 0, (BytesPerInputByte * text.Length) + ConstantBytes);
        }, iter: 5000);

    /// <summary>Go's <c>Duration.String()</c> for whole 100 ns ticks: <c>72h3m0.5s</c>, <c>1.5ms</c>, <c>300ns</c>, <c>0s</c>.</summary>
    private static string FormatGo(TimeSpan duration)
    {
        var ticks = duration.Ticks;
        if (ticks == 0)
        {
            return "0s";
        }

        var text = new StringBuilder(ticks < 0 ? "-" : string.Empty);
        var magnitude = (decimal)Math.Abs((decimal)ticks);
        if (magnitude < TimeSpan.TicksPerSecond)
        {
            var (unit, perUnit) = magnitude < TimeSpan.TicksPerMicrosecond ? ("ns", 0.01m)
                : magnitude < TimeSpan.TicksPerMillisecond ? ("µs", TimeSpan.TicksPerMicrosecond)
                : ("ms", (decimal)TimeSpan.TicksPerMillisecond);
            return text.Append((magnitude / perUnit).ToString("0.#######", CultureInfo.InvariantCulture)).Append(unit).ToString();
        }

        var hours = decimal.Floor(magnitude / TimeSpan.TicksPerHour);
        var minutes = decimal.Floor((magnitude - (hours * TimeSpan.TicksPerHour)) / TimeSpan.TicksPerMinute);
        var seconds = (magnitude - (hours * TimeSpan.TicksPerHour) - (minutes * TimeSpan.TicksPerMinute)) / TimeSpan.TicksPerSecond;
        if (hours > 0)
        {
            text.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        }

        if (hours > 0 || minutes > 0)
        {
            text.Append(minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        }

        return text.Append(seconds.ToString("0.#######", CultureInfo.InvariantCulture)).Append('s').ToString();
    }

    [Fact]
    public void Go_durations_formatted_as_Go_does_parse_back_to_the_same_duration() =>
        Gen.Long[-TimeSpan.TicksPerDay * 400, TimeSpan.TicksPerDay * 400].Sample(ticks =>
        {
            var duration = TimeSpan.FromTicks(ticks);
            var text = FormatGo(duration);

            Assert.True(GoDuration.TryParse(text, out var parsed), text);
            Assert.Equal(duration, parsed);
        }, iter: 5000);
}
