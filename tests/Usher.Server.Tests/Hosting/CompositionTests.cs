using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Usher.Backends.Onnx;
using Usher.Backends.Onnx.Hosting;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Backends;
using Usher.Core.Hosting;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Core.Scheduling;
using Usher.Core.Tensors;
using Usher.Server.Admin;
using Usher.Server.Hosting;
using Usher.Testing;
using Usher.Testing.Models;

namespace Usher.Server.Tests.Hosting;

/// <summary>An application that is not <c>usher serve</c> composing Usher from AddUsherCore, AddOnnxBackend and AddUsherControlPlane.</summary>
public sealed class CompositionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A generic host composed from the three methods over a repository with one model, <c>ident</c>.</summary>
    private IHost BuildHost(Action<AdminOptions>? admin = null)
    {
        var repository = Directory.CreateDirectory(_dir.Combine("models")).FullName;
        TestModels.WriteIdentity(Path.Combine(repository, "ident", "1"), DataType.Fp32);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddOptions<RepositoryOptions>().Configure(o => o.Path = repository);
        builder.Services.AddOptions<AdminOptions>().Configure(o =>
        {
            o.DataDir = _dir.Combine("state");
            admin?.Invoke(o);
        });
        builder.Services.AddUsherCore().AddOnnxBackend().AddUsherControlPlane();
        builder.Services.AddHostedService<RepositoryLoaderService>();
        return builder.Build();
    }

    [Fact]
    public async Task TheThreeExtensions_ComposeAGenericHost_ThatLoadsTheRepositoryAndStartsTheControlPlane()
    {
        using var host = BuildHost();
        await host.StartAsync();
        var controller = await host.Services.GetRequiredService<ControlPlaneHost>().Started.WaitAsync(TimeSpan.FromSeconds(60));

        var models = host.Services.GetRequiredService<ModelManager>();
        Assert.True(models.IsReady);
        Assert.IsType<OnnxBackend>(host.Services.GetRequiredService<IModelBackend>());

        // The control plane gave the new model its table (its newest version), in the one EndpointRoutes the router reads.
        var table = host.Services.GetRequiredService<EndpointRoutes>().Find("ident");
        Assert.NotNull(table);
        Assert.Equal(1, Assert.Single(table.Variants).Version);
        Assert.Same(controller, host.Services.GetRequiredService<ControlPlaneHost>().Controller);
        Assert.Same(host.Services.GetRequiredService<ShadowMirror>(), host.Services.GetRequiredService<InferenceRouter>().Mirror);
        Assert.Equal(Path.Combine(_dir.Combine("state"), "usher.db"), host.Services.GetRequiredService<ControlPlaneHost>().StatePath);
        await host.StopAsync();
    }

    [Fact]
    public async Task AddUsherControlPlane_TheControllerAndItsStore_AreTheHostsServices_BuiltOnceTheStateFileIsOpen()
    {
        using var host = BuildHost(o => o.TickMs = 250);

        // Before start nothing may use the store: the state file is not open.
        Assert.False(host.Services.GetRequiredService<StateStoreHolder>().IsOpen);

        await host.StartAsync();
        var controller = await host.Services.GetRequiredService<ControlPlaneHost>().Started.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Same(controller, host.Services.GetRequiredService<RolloutController>());
        var store = host.Services.GetRequiredService<IRolloutStore>();
        Assert.Same(host.Services.GetRequiredService<StateStoreHolder>().Store, store);
        Assert.Same(store.Experiments, host.Services.GetRequiredService<IExperimentStore>());
        Assert.Equal(Path.Combine(_dir.Combine("state"), "usher.db"), store.Location);
        Assert.Equal(TimeSpan.FromMilliseconds(250), host.Services.GetRequiredService<RolloutOptions>().Tick);
        await host.StopAsync();

        // Stopped: the controller is disposed and the state file is closed and unlocked, so another server may open it.
        Assert.Null(host.Services.GetRequiredService<ControlPlaneHost>().Controller);
        await using var reopened = await StateFile.OpenAsync(store.Location, _dir.Combine("models"), followsRepository: false, CancellationToken.None);
        Assert.Equal(store.Location, reopened.Path);
    }

    [Fact]
    public async Task AddUsherControlPlane_KeepsTheRolloutOptionsTheCallerRegisteredFirst()
    {
        var options = new RolloutOptions { Tick = TimeSpan.FromSeconds(3) };
        var services = new ServiceCollection().AddSingleton(options);
        services.AddOptions<RepositoryOptions>().Configure(o => o.Path = _dir.Path);

        services.AddUsherCore().AddOnnxBackend().AddUsherControlPlane();
        await using var provider = services.BuildServiceProvider();

        Assert.Same(options, provider.GetRequiredService<RolloutOptions>());
        Assert.Single(services, d => d.ServiceType == typeof(RolloutOptions));
        Assert.Single(services, d => d.ServiceType == typeof(RolloutController));
    }

    [Fact]
    public async Task AddUsherCore_KeepsWhatTheCallerRegisteredFirst()
    {
        var clock = new FakeTimeProvider();
        var backend = new GatedBackend();
        var services = new ServiceCollection()
            .AddSingleton<TimeProvider>(clock)
            .AddSingleton<IModelBackend>(backend);
        services.AddOptions<RepositoryOptions>().Configure(o => o.Path = _dir.Path);

        services.AddUsherCore().AddOnnxBackend().AddUsherControlPlane();
        await using var provider = services.BuildServiceProvider();

        Assert.Same(backend, provider.GetRequiredService<IModelBackend>());
        Assert.Same(clock, provider.GetRequiredService<TimeProvider>());
        Assert.Same(clock, provider.GetRequiredService<ModelManager>().Clock);
        Assert.Single(services, d => d.ServiceType == typeof(IModelBackend));
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
    }

    [Fact]
    public async Task ValidateOnStart_WithSeveralBadOptions_StopsTheHostListingEveryProblemWithItsKey()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddOptions<RepositoryOptions>().Configure(o =>
        {
            o.Path = _dir.Path;
            o.LoadParallelism = 0;
        });
        builder.Services.AddOptions<SchedulingOptions>().Configure(o => o.RetryAfterSeconds = 0);
        builder.Services.AddOptions<AdminOptions>().Configure(o => o.TickMs = 5);
        builder.Services.AddUsherCore().AddOnnxBackend().AddUsherControlPlane();
        using var host = builder.Build();

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        var failures = UsherSettings.Failures(ex);
        Assert.NotNull(failures);
        Assert.Equal(
            ["admin.tick_ms: expected 10 to 60000, got 5", "repository.load_parallelism: expected at least 1, got 0", "scheduling.retry_after_seconds: expected at least 1, got 0"],
            failures.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AddUsherCore_OptionsFromConfigurationOrCode_AreTheValuesTheServicesGet()
    {
        var services = new ServiceCollection();
        services.AddOptions<SchedulingOptions>().Configure(o => o.MaxQueueSize = 3);
        services.AddOptions<RepositoryOptions>().Configure(o => o.Path = _dir.Path);
        services.AddUsherCore();
        using var provider = services.BuildServiceProvider();

        Assert.Same(provider.GetRequiredService<IOptions<SchedulingOptions>>().Value, provider.GetRequiredService<SchedulingOptions>());
        Assert.Equal(3, provider.GetRequiredService<SchedulingOptions>().MaxQueueSize);
    }
}
