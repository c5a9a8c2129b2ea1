using Microsoft.Extensions.Options;

namespace Usher.Core.Hosting;

/// <summary>
/// Options whose value is an object the application already holds (the engine's
/// <c>UsherEngineOptions.Repository</c>), still configured and validated as any options are.
/// </summary>
internal sealed class InstanceOptionsFactory<TOptions>(
    TOptions instance,
    IEnumerable<IConfigureOptions<TOptions>> setups,
    IEnumerable<IPostConfigureOptions<TOptions>> postConfigures,
    IEnumerable<IValidateOptions<TOptions>> validations)
    : OptionsFactory<TOptions>(setups, postConfigures, validations)
    where TOptions : class
{
    protected override TOptions CreateInstance(string name) => instance;
}
