namespace Usher.Dashboard.Tests;

/// <summary>The browser tests share one Chromium and run one at a time (each runs its own server).</summary>
[CollectionDefinition(nameof(BrowserCollection), DisableParallelization = true)]
public sealed class BrowserCollection : ICollectionFixture<Browser>;
