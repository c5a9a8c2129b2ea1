using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Usher.ControlPlane.Cluster;
using Usher.Core.Hosting;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Core.Scheduling;
using Usher.Server.Admin;
using Usher.Server.Cluster;

namespace Usher.Server.Hosting;

/// <summary>
/// Every setting of the server, from (lowest to highest precedence) defaults, <c>usher.yaml</c>,
/// <c>USHER_*</c> environment variables and command-line flags, as Microsoft.Extensions.Configuration
/// sources. One options type per subsystem, bound with <c>AddOptions&lt;T&gt;().Bind(...)</c> and
/// checked by its validator (<c>ValidateOnStart</c>); flags override keys, they do not define a
/// second copy of a setting.
/// </summary>
internal sealed class UsherSettings
{
    private UsherSettings(IConfiguration configuration, ServerOptions server, RepositoryOptions repository, SchedulingOptions scheduling, AdminOptions admin, RoutingOptions routing, ClusterOptions cluster)
    {
        Cluster = cluster;
        Configuration = configuration;
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

    /// <summary>A replica's settings among replicas sharing a PostgreSQL state database (unused with a state file).</summary>
    public ClusterOptions Cluster { get; }

    /// <summary>The checked configuration the options bind from (sections <c>server</c>, <c>repository</c>, ...).</summary>
    internal IConfiguration Configuration { get; }

    /// <summary>Settings from code (tests, embedding), validated.</summary>
    public static UsherSettings Create(ServerOptions server, RepositoryOptions repository, SchedulingOptions? scheduling = null, AdminOptions? admin = null, RoutingOptions? routing = null, ClusterOptions? cluster = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(repository);
        scheduling ??= new SchedulingOptions();
        admin ??= new AdminOptions();
        routing ??= new RoutingOptions();
        cluster ??= new ClusterOptions();
        var errors = new ServerOptionsValidator().Problems(server)
            .Concat(new RepositoryOptionsValidator().Problems(repository))
            .Concat(new SchedulingOptionsValidator().Problems(scheduling))
            .Concat(new AdminOptionsValidator().Problems(admin))
            .Concat(new RoutingOptionsValidator().Problems(routing))
            .Concat(cluster.Problems())
            .ToList();
        return errors.Count == 0
            ? new UsherSettings(SettingsSchema.Describe(server, repository, scheduling, admin, routing, cluster), server, repository, scheduling, admin, routing, cluster)
            : throw new SettingsException(errors);
    }

    /// <summary>
    /// Loads settings. <paramref name="overrides"/> are flag values keyed <c>section:key</c>
    /// (e.g. <c>server:http_port</c>); <paramref name="environment"/> defaults to the process's
    /// variables; <paramref name="defaults"/>, keyed the same way, lose to every source (the bundled
    /// samples as the repository). Throws <see cref="SettingsException"/> listing every problem, each with its key.
    /// </summary>
    public static UsherSettings Load(string? configFile, IReadOnlyDictionary<string, string> overrides, System.Collections.IDictionary? environment = null, IReadOnlyDictionary<string, string>? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var problems = new List<string>();
        var sources = new ConfigurationBuilder();
        if (defaults is not null)
        {
            sources.Add(new DefaultSettingsProvider(defaults));
        }

        if (configFile is not null)
        {
            if (File.Exists(configFile))
            {
                sources.Add(new YamlSettingsProvider(configFile));
            }
            else
            {
                problems.Add($"--config: the file '{configFile}' does not exist");
            }
        }

        sources.Add(new EnvironmentSettingsProvider(environment ?? Environment.GetEnvironmentVariables()));
        sources.Add(new CommandLineSettingsProvider(overrides));
        problems.AddRange(SettingsSchema.Check(sources.Build(), out var configuration));

        // The options are bound and validated as the server's host does on start.
        var services = new ServiceCollection();
        AddOptions(services, configuration);
        using var provider = services.BuildServiceProvider();
        try
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
        }
        catch (Exception e) when (Failures(e) is { } failures)
        {
            problems.AddRange(failures);
        }

        return problems.Count == 0
            ? new UsherSettings(
                configuration,
                provider.GetRequiredService<IOptions<ServerOptions>>().Value,
                provider.GetRequiredService<IOptions<RepositoryOptions>>().Value,
                provider.GetRequiredService<IOptions<SchedulingOptions>>().Value,
                provider.GetRequiredService<IOptions<AdminOptions>>().Value,
                provider.GetRequiredService<IOptions<RoutingOptions>>().Value,
                provider.GetRequiredService<IOptions<ClusterOptions>>().Value)
            : throw new SettingsException(problems);
    }

    /// <summary>
    /// The problems an options validation failure lists (<see cref="OptionsValidationException"/>, or
    /// several of them together, as <c>ValidateOnStart</c> throws them); null for any other exception.
    /// </summary>
    internal static IReadOnlyList<string>? Failures(Exception exception) => exception switch
    {
        OptionsValidationException one => [.. one.Failures],
        AggregateException many when many.InnerExceptions.All(e => e is OptionsValidationException) =>
            [.. many.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures)],
        _ => null,
    };

    /// <summary>Binds every options type from these settings' configuration, checked when the host starts.</summary>
    internal void AddOptions(IServiceCollection services) => AddOptions(services, Configuration);

    private static void AddOptions(IServiceCollection services, IConfiguration configuration)
    {
        Bind<ServerOptions, ServerOptionsValidator>(services, configuration);
        Bind<RepositoryOptions, RepositoryOptionsValidator>(services, configuration);
        Bind<SchedulingOptions, SchedulingOptionsValidator>(services, configuration);
        Bind<AdminOptions, AdminOptionsValidator>(services, configuration);
        Bind<RoutingOptions, RoutingOptionsValidator>(services, configuration);
        Bind<ClusterOptions, ClusterOptionsValidator>(services, configuration);
    }

    private static void Bind<TOptions, TValidator>(IServiceCollection services, IConfiguration configuration)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().Bind(SettingsSchema.SectionOf<TOptions>(configuration));
        services.AddValidatedOptions<TOptions, TValidator>();
    }
}
