using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
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
    ];

    private static readonly string SectionList = string.Join(", ", Sections.Select(s => s.Name));

    /// <summary>The <c>streams:</c> list, which <c>usher serve</c> hands to Usher.Streaming to read and check (docs/streaming.md).</summary>
    public const string StreamsSection = "streams";

    /// <summary>Whether <paramref name="name"/> (lower case, no underscores) is a section of the settings.</summary>
    public static bool IsSection(string name) => Sections.Any(s => s.Name == name);

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
            var section = Sections.Single(s => s.Type == value.GetType()).Name;
            foreach (var property in Settable(value.GetType()))
            {
                if (property.GetValue(value) is { } set)
                {
                    values[$"{section}:{property.Name}"] = Convert.ToString(set, CultureInfo.InvariantCulture);
                }
            }
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
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

        var property = Settable(section.Type).FirstOrDefault(p => SettingsKeys.Flat(p.Name) == segments[1]);
        if (property is null)
        {
            var known = Settable(section.Type).Select(p => SettingsKeys.ToSnake(p.Name));
            return $"{origin.Source}: unknown setting '{origin.Written}'; '{section.Name}' has: {string.Join(", ", known)}";
        }

        var display = $"{section.Name}.{SettingsKeys.ToSnake(property.Name)}";
        if (segments.Length > 2)
        {
            return $"{origin.Source}: {display}: expected a single value";
        }

        var type = property.PropertyType;
        var fits = type == typeof(string)
            || (type == typeof(int) && int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            || (type == typeof(long) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            || (type == typeof(bool) && bool.TryParse(value, out _));
        if (fits)
        {
            return null;
        }

        var expected = type == typeof(bool) ? "true or false" : "an integer";
        return $"{origin.Source}: {display}: expected {expected}, got '{value}'";
    }

    private static IEnumerable<PropertyInfo> Settable(Type type)
        => type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite);
}
