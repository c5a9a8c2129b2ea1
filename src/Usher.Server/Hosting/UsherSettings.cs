using System.Globalization;
using System.Reflection;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Core.Scheduling;
using Usher.Server.Admin;

namespace Usher.Server.Hosting;

/// <summary>
/// Every setting of the server, from (lowest to highest precedence) defaults, <c>usher.yaml</c>,
/// <c>USHER_*</c> environment variables and command-line flags. One options type per subsystem;
/// flags override keys, they do not define a second copy of a setting.
/// </summary>
public sealed class UsherSettings
{
    private UsherSettings(ServerOptions server, RepositoryOptions repository, SchedulingOptions scheduling, AdminOptions admin, RoutingOptions routing)
    {
        Routing = routing;
        Server = server;
        Repository = repository;
        Scheduling = scheduling;
        Admin = admin;
    }

    /// <summary>HTTP server settings.</summary>
    public ServerOptions Server { get; }

    /// <summary>Model repository settings.</summary>
    public RepositoryOptions Repository { get; }

    /// <summary>Scheduler bounds shared by every model.</summary>
    public SchedulingOptions Scheduling { get; }

    /// <summary>Request routing settings.</summary>
    public RoutingOptions Routing { get; }

    /// <summary>Admin API and control-plane settings.</summary>
    public AdminOptions Admin { get; }

    /// <summary>Settings from code (tests, embedding), validated.</summary>
    public static UsherSettings Create(ServerOptions server, RepositoryOptions repository, SchedulingOptions? scheduling = null, AdminOptions? admin = null, RoutingOptions? routing = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(repository);
        scheduling ??= new SchedulingOptions();
        admin ??= new AdminOptions();
        routing ??= new RoutingOptions();
        var errors = server.Validate().Concat(repository.Validate()).Concat(scheduling.Validate()).Concat(admin.Validate()).Concat(routing.Validate()).ToList();
        return errors.Count == 0 ? new UsherSettings(server, repository, scheduling, admin, routing) : throw new SettingsException(errors);
    }

    /// <summary>
    /// Loads settings. <paramref name="overrides"/> are flag values keyed <c>section:key</c>
    /// (e.g. <c>server:http_port</c>). Throws <see cref="SettingsException"/> listing every problem.
    /// </summary>
    public static UsherSettings Load(string? configFile, IReadOnlyDictionary<string, string> overrides, System.Collections.IDictionary? environment = null)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var errors = new List<string>();
        var values = new Dictionary<string, (string Value, string Source, string Written)>(StringComparer.Ordinal);
        if (configFile is not null)
        {
            if (File.Exists(configFile))
            {
                Merge(values, SettingsSources.FromYamlFile(configFile, errors));
            }
            else
            {
                errors.Add($"--config: the file '{configFile}' does not exist");
            }
        }

        Merge(values, SettingsSources.FromEnvironment(environment ?? Environment.GetEnvironmentVariables()));
        foreach (var (key, value) in overrides)
        {
            var parts = key.Split(':', 2);
            values[SettingsSources.Normalize(parts[0]) + ":" + SettingsSources.Normalize(parts[^1])] = (value, "command line", key);
        }

        var server = new ServerOptions();
        var repository = new RepositoryOptions();
        var scheduling = new SchedulingOptions();
        var admin = new AdminOptions();
        var routing = new RoutingOptions();
        var targets = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [SettingsSources.Normalize(ServerOptions.Section)] = server,
            [SettingsSources.Normalize(RepositoryOptions.Section)] = repository,
            [SettingsSources.Normalize(SchedulingOptions.Section)] = scheduling,
            [SettingsSources.Normalize(AdminOptions.Section)] = admin,
            [SettingsSources.Normalize(RoutingOptions.Section)] = routing,
        };
        foreach (var (key, (value, source, written)) in values)
        {
            Bind(targets, key, written, value, source, errors);
        }

        errors.AddRange(server.Validate());
        errors.AddRange(repository.Validate());
        errors.AddRange(scheduling.Validate());
        errors.AddRange(admin.Validate());
        errors.AddRange(routing.Validate());
        return errors.Count == 0 ? new UsherSettings(server, repository, scheduling, admin, routing) : throw new SettingsException(errors);
    }

    private static void Merge(Dictionary<string, (string, string, string)> into, Dictionary<string, (string, string, string)> from)
    {
        foreach (var (k, v) in from)
        {
            into[k] = v;
        }
    }

    private static void Bind(Dictionary<string, object> targets, string key, string written, string value, string source, List<string> errors)
    {
        var parts = key.Split(':', 2);
        if (parts.Length != 2 || !targets.TryGetValue(parts[0], out var target))
        {
            errors.Add($"{source}: unknown setting '{written}'; sections are: server, repository, scheduling, routing, admin");
            return;
        }

        var property = target.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(p => p.CanWrite && SettingsSources.Normalize(p.Name) == parts[1]);
        if (property is null)
        {
            var known = target.GetType().GetProperties().Where(p => p.CanWrite).Select(p => ToSnake(p.Name));
            errors.Add($"{source}: unknown setting '{written}'; '{parts[0]}' has: {string.Join(", ", known)}");
            return;
        }

        var display = $"{parts[0]}.{ToSnake(property.Name)}";
        var type = property.PropertyType;
        if (type == typeof(string))
        {
            property.SetValue(target, value);
        }
        else if (type == typeof(int) && int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i))
        {
            property.SetValue(target, i);
        }
        else if (type == typeof(long) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            property.SetValue(target, l);
        }
        else if (type == typeof(bool) && bool.TryParse(value, out var b))
        {
            property.SetValue(target, b);
        }
        else
        {
            var expected = type == typeof(bool) ? "true or false" : "an integer";
            errors.Add($"{source}: {display}: expected {expected}, got '{value}'");
        }
    }

    private static string ToSnake(string name)
        => string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
