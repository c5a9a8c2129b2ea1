namespace Usher.Core.Models;

// TEMPORARY stub until the config parser lands; replaced on merge.
public static class ModelConfigParser
{
    public static ModelConfig LoadFile(string path) => ModelConfig.Default;
}

public sealed class ModelConfigException(string message) : Exception(message);
