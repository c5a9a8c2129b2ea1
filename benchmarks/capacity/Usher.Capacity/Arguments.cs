using System.Globalization;

namespace Usher.Capacity;

/// <summary><c>--name value</c> pairs after the command; every problem is collected, none thrown.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _known;

    public Arguments(IEnumerable<string> args, IEnumerable<string> known)
    {
        _known = [.. known];
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var name = list[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || !_known.Contains(name))
            {
                Problems.Add($"unknown argument '{name}'; expected one of {string.Join(", ", _known.Order(StringComparer.Ordinal))}");
                continue;
            }

            if (i + 1 >= list.Count)
            {
                Problems.Add($"{name}: needs a value");
                break;
            }

            _values[name] = list[++i];
        }
    }

    public List<string> Problems { get; } = [];

    public string? Text(string name) => _values.GetValueOrDefault(name);

    public double Number(string name, double fallback, double min = double.Epsilon)
    {
        if (!_values.TryGetValue(name, out var text))
        {
            return fallback;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value < min)
        {
            Problems.Add($"{name}: expected a number >= {min.ToString(CultureInfo.InvariantCulture)}, got '{text}'");
            return fallback;
        }

        return value;
    }

    public double? OptionalNumber(string name) => _values.ContainsKey(name) ? Number(name, double.NaN) : null;

    public int Integer(string name, int fallback, int min = 1)
    {
        if (!_values.TryGetValue(name, out var text))
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min)
        {
            Problems.Add($"{name}: expected an integer >= {min}, got '{text}'");
            return fallback;
        }

        return value;
    }
}
