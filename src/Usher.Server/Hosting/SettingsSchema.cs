using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Usher.ControlPlane.Cluster;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Core.Scheduling;
using Usher.Server.Admin;

namespace Usher.Server.Hosting;

/// <summary>
/// The sections of <c>usher.yaml</c> and the options type each binds to. Before binding, every key
/// is checked here (a known section and key, a value of the key's type), so that every problem is
/// reported with its source, not only the first the binder would throw on; the rules on values are
/// the options' validators.
/// </summary>
internal static class SettingsSchema
{
    private static readonly (string Name, Type Type)[] Sections =
    [
        ("server", typeof(ServerOptions)),
        ("repository", typeof(RepositoryOptions)),
        ("scheduling", typeof(SchedulingOptions)),
        ("routing", typeof(RoutingOptions)),
        ("admin", typeof(AdminOptions)),
        ("cluster", typeof(ClusterOptions)),
    ];

    private static readonly string SectionList = string.Join(", ", Sections.Select(s => s.Name));

    /// <summary>The <c>streams:</c> list, which <c>usher serve</c> hands to Usher.Streaming to read and check (docs/streaming.md).</summary>
    public const string StreamsSection = "streams";

    /// <summary>Whether <paramref name="name"/> (lower case, no underscores) is a section of the settings.</summary>
    public static bool IsSection(string name) => Sections.Any(s => s.Name == name);

    /// <summary>The options type of section <paramref name="name"/> (lower case, no underscores), or null.</summary>
    public static Type? SectionType(string name) => Sections.FirstOrDefault(s => s.Name == name).Type;

    /// <summary>Whether a setting of <paramref name="type"/> is one value (text, number, boolean), not keys.</summary>
    public static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(string) || type.IsPrimitive || type == typeof(TimeSpan);
    }

    /// <summary>The value type of a mapping from names (<c>Dictionary&lt;string, V&gt;</c>), or null.</summary>
    public static Type? MapValueType(Type type)
        => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>) && type.GetGenericArguments()[0] == typeof(string)
            ? type.GetGenericArguments()[1]
            : null;

    /// <summary>The settable property of <paramref name="type"/> named <paramref name="flat"/> (lower case, no underscores), or null.</summary>
    public static PropertyInfo? Property(Type type, string flat) => Settable(type).FirstOrDefault(p => SettingsKeys.Flat(p.Name) == flat);

    /// <summary>
    /// Checks every key that <paramref name="root"/>'s sources set (the value that wins, where several
    /// set one) and returns the problems, each naming its source; <paramref name="usable"/> gets
    /// the keys that passed, to bind and validate.
    /// </summary>
    public static List<string> Check(IConfigurationRoot root, out IConfiguration usable)
    {
        var problems = new List<string>();
        var winners = new Dictionary<string, SettingsProvider>(StringComparer.OrdinalIgnoreCase);
        var order = new List<string>();
        foreach (var provider in root.Providers.OfType<SettingsProvider>())
        {
            problems.AddRange(provider.Problems);
            foreach (var key in provider.Keys)
            {
                if (string.Equals(key.Split(':')[0], StreamsSection, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (!winners.ContainsKey(key))
                {
                    order.Add(key);
                }

                winners[key] = provider;
            }
        }

        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in order)
        {
            var provider = winners[key];
            provider.TryGet(key, out var value);
            if (Problem(key, value, provider.Origin(key)) is { } problem)
            {
                // A list where one value belongs is one problem, however long the list.
                if (!problems.Contains(problem))
                {
                    problems.Add(problem);
                }
            }
            else
            {
                values[key] = value;
            }
        }

        usable = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return problems;
    }

    /// <summary>The configuration that sets <paramref name="options"/> (one object per section; settings from code).</summary>
    public static IConfiguration Describe(params object[] options)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in options)
        {
            Describe(Sections.Single(s => s.Type == value.GetType()).Name, value, values);
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    private static void Describe(string prefix, object value, Dictionary<string, string?> values)
    {
        foreach (var property in Settable(value.GetType()))
        {
            var key = $"{prefix}:{property.Name}";
            switch (property.GetValue(value))
            {
                case null:
                    break;
                case var set when IsScalar(property.PropertyType):
                    values[key] = Convert.ToString(set, CultureInfo.InvariantCulture);
                    break;
                case System.Collections.IDictionary map:
                    foreach (System.Collections.DictionaryEntry entry in map)
                    {
                        if (entry.Value is not null)
                        {
                            Describe($"{key}:{entry.Key}", entry.Value, values);
                        }
                    }

                    break;
                case var nested:
                    Describe(key, nested, values);
                    break;
            }
        }
    }

    /// <summary>The section of options type <typeparamref name="T"/> in <paramref name="configuration"/>.</summary>
    public static IConfigurationSection SectionOf<T>(IConfiguration configuration)
        => configuration.GetSection(Sections.Single(s => s.Type == typeof(T)).Name);

    private static string? Problem(string key, string? value, SettingOrigin origin)
    {
        var segments = key.Split(':');
        var section = Sections.FirstOrDefault(s => s.Name == segments[0]);
        if (section.Type is null)
        {
            return $"{origin.Source}: unknown setting '{origin.Written}'; sections are: {SectionList}";
        }

        if (segments.Length == 1)
        {
            return $"{origin.Source}: '{section.Name}' must hold keys, e.g. '{section.Name}:\\n  key: value'";
        }

        return Problem(section.Name, section.Type, segments.AsSpan(1), value, origin);
    }

    // The problem of the key made of `rest` under `display` (a section or a nested setting of `type`).
    private static string? Problem(string display, Type type, ReadOnlySpan<string> rest, string? value, SettingOrigin origin)
    {
        if (MapValueType(type) is { } valueType)
        {
            return rest.Length == 0
                ? value is null ? null : $"{origin.Source}: {display}: expected a mapping from names to settings, got '{value}'"
                : Problem($"{display}.{rest[0]}", valueType, rest[1..], value, origin);
        }

        if (rest.Length == 0)
        {
            return value is null ? null : $"{origin.Source}: {display}: expected keys ({string.Join(", ", Settable(type).Select(p => SettingsKeys.ToSnake(p.Name)))}), got '{value}'";
        }

        var property = Property(type, SettingsKeys.Flat(rest[0]));
        if (property is null)
        {
            var known = Settable(type).Select(p => SettingsKeys.ToSnake(p.Name));
            return $"{origin.Source}: unknown setting '{origin.Written}'; '{display}' has: {string.Join(", ", known)}";
        }

        var name = $"{display}.{SettingsKeys.ToSnake(property.Name)}";
        var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (!IsScalar(propertyType))
        {
            return Problem(name, propertyType, rest[1..], value, origin);
        }

        if (rest.Length > 1)
        {
            return $"{origin.Source}: {name}: expected a single value";
        }

        var fits = propertyType == typeof(string)
            || (propertyType == typeof(int) && int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            || (propertyType == typeof(long) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            || (propertyType == typeof(double) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
            || (propertyType == typeof(bool) && bool.TryParse(value, out _))
            || (propertyType == typeof(TimeSpan) && TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out _));
        if (fits)
        {
            return null;
        }

        var expected = propertyType == typeof(bool) ? "true or false"
            : propertyType == typeof(double) ? "a number"
            : propertyType == typeof(TimeSpan) ? "a duration as HH:MM:SS (00:00:05 for 5 s)"
            : "an integer";
        return $"{origin.Source}: {name}: expected {expected}, got '{value}'";
    }

    private static IEnumerable<PropertyInfo> Settable(Type type)
        => type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite);
}
