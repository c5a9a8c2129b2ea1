using System.Text;
using Usher.Core.Models;

namespace Usher.Fuzz;

/// <summary>A model's <c>config.yaml</c>: any text is a configuration or a list of errors that say where.</summary>
internal static class ConfigTarget
{
    public static void Run(byte[] bytes)
    {
        var result = ModelConfigParser.Parse(Encoding.UTF8.GetString(bytes), "config.yaml");
        if (result.Succeeded)
        {
            return;
        }

        foreach (var error in result.Errors)
        {
            if (string.IsNullOrWhiteSpace(error.Message) || !error.ToString().StartsWith("config.yaml", StringComparison.Ordinal))
            {
                throw new FuzzFailure($"an error that does not say where or what: '{error}'");
            }
        }
    }
}
