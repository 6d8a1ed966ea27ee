"""export/README.md works as written: its exports, docker mounts, models.config and client lines agree.

Docker and TF Serving cannot run here, so the test follows the README as far as a machine without them
can: it runs the README's `kstyle export` lines in a copy of the kit, then works out what each
`docker run` line would show the server (its mounts, its model config, the models it serves) in that copy.
"""

import configparser
import dataclasses
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KIT = os.path.join(ROOT, "export")
README = open(os.path.join(KIT, "README.md")).read()
# The official image's defaults (its Dockerfile's ENV and EXPOSE): where one model is looked for, and the ports.
IMAGE_ENV = {"MODEL_NAME": "model", "MODEL_BASE_PATH": "/models"}
PORTS = {"rest": 8501, "grpc": 8500}
# docker run options the README may use: those that take a value, and those that do not.
VALUED = {"-v", "--volume", "-e", "--env", "-p", "--publish", "--gpus", "--name"}
SWITCHES = {"--rm", "-d", "--detach", "-i", "-t", "-it"}


def commands(text):
    """The `kstyle`, `docker` and `python` commands of `text`'s shell blocks, as argument lists."""
    found = []
    for language, block in re.findall(r"```(\w*)\n(.*?)```", text, re.S):
        if language in ("", "sh", "shell", "bash"):
            lines = block.replace("\\\n", " ").splitlines()
            found += [shlex.split(line, comments=True) for line in lines if line.split()[:1] in (["kstyle"],
                                                                                               ["docker"], ["python"])]
    return found


COMMANDS = commands(README)
EXPORTS = [argv for argv in COMMANDS if argv[0] == "kstyle"]
DOCKER_RUNS = [argv for argv in COMMANDS if argv[0] == "docker"]
CLIENT_CALLS = [argv for argv in COMMANDS if argv[0] == "python"]


@dataclasses.dataclass
class DockerRun:
    """What a `docker run` line gives the container, with $PWD standing for `root`."""

    mounts: dict  # container path: host path
    env: dict
    ports: dict  # host port: container port
    server_flags: dict  # tensorflow_model_server's flags after the image name


def docker_run(argv, root):
    assert argv[:2] == ["docker", "run"], argv
    run = DockerRun({}, dict(IMAGE_ENV), {}, {})
    rest = iter(argv[2:])
    for arg in rest:
        if not arg.startswith("-"):  # the image: what follows is for the server
            for flag in rest:
                name, _, value = flag.partition("=")
                run.server_flags[name] = value
            break
        name, equals, value = arg.partition("=")
        assert name in VALUED | SWITCHES, f"{arg}: an option this test does not know; teach it"
        if name in VALUED and not equals:
            value = next(rest)
        if name in ("-v", "--volume"):
            host, container = value.split(":")[:2]
            run.mounts[container.rstrip("/") or "/"] = host.replace("${PWD}", root).replace("$PWD", root)
        elif name in ("-e", "--env"):
            key, _, setting = value.partition("=")
            run.env[key] = setting
        elif name in ("-p", "--publish"):
            host_port, container_port = value.rsplit(":", 1)
            run.ports[int(host_port.rsplit(":", 1)[-1])] = int(container_port)
    return run


def host_path(container_path, mounts):
    """Where `container_path` is on the host, through the deepest mount holding it (as Docker resolves it)."""
    holding = [mount for mount in mounts if container_path == mount or container_path.startswith(mount + "/")]
    if not holding:
        return None
    deepest = max(holding, key=len)
    return mounts[deepest] + container_path[len(deepest):]


def config_models(text):
    """{name: base_path} of a TF Serving model config's entries, comments left out."""
    text = re.sub(r"#[^\n]*", "", text)
    models = {}
    for entry in re.split(r"\bconfig\s*\{", text)[1:]:
        name, base = re.search(r'\bname:\s*"([^"]*)"', entry), re.search(r'\bbase_path:\s*"([^"]*)"', entry)
        assert name and base, f"a config entry without name or base_path: {entry}"
        models[name.group(1)] = base.group(1)
    return models


def served(run):
    """{name: container base path} the server would serve, and what stops it from finding them."""
    config = run.server_flags.get("--model_config_file")
    if config is None:  # the image's entrypoint: --model_base_path=${MODEL_BASE_PATH}/${MODEL_NAME}
        name = run.env["MODEL_NAME"]
        return {name: f"{run.env['MODEL_BASE_PATH']}/{name}"}, []
    config_host = host_path(config, run.mounts)
    if config_host is None or not os.path.isfile(config_host):
        return {}, [f"--model_config_file={config}: not a file in the container (host: {config_host})"]
    models = config_models(open(config_host).read())
    return models, ([] if models else [f"{config_host}: serves no model"])


def versions(directory):
    """The numbered SavedModel versions in `directory`, as TF Serving finds them."""
    if not os.path.isdir(directory):
        return []
    return sorted(int(name) for name in os.listdir(directory)
                  if name.isdigit() and os.path.isfile(os.path.join(directory, name, "saved_model.pb")))


def docker_problems(argv, root):
    """What would stop the `docker run` line `argv`, run in `root`, from serving every model it names."""
    run = docker_run(argv, root)
    problems = [f"-v {host}: does not exist" for host in run.mounts.values() if not os.path.exists(host)]
    models, config_problems = served(run)
    problems += config_problems
    for name, base in models.items():
        host = host_path(base, run.mounts)
        if host is None:
            problems.append(f"model {name}: {base} is not mounted")
        elif not versions(host):
            problems.append(f"model {name}: {base} is {host}, which holds no numbered version")
    return problems


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """The root of a copy of the kit (export/ without exported models) in which the README's exports ran."""
    root = tmp_path_factory.mktemp("repository")
    shutil.copytree(KIT, root / "export", ignore=shutil.ignore_patterns("models", "__pycache__"))
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    for argv in EXPORTS:
        assert argv[1] == "export", argv
        targets = [arg.split("=", 1)[1] for arg in argv if arg.startswith(("--export_dir=", "--output="))]
        assert targets and not os.path.isabs(targets[0]), f"{argv}: an --export_dir or --output inside the repository"
        done = subprocess.run([sys.executable, "-m", "kstyle", *argv[1:]], cwd=root, env=environment,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        assert os.path.exists(os.path.join(root, targets[0])), f"{argv}: nothing at {targets[0]}"
    return str(root)


def test_the_readme_shows_every_step():
    assert EXPORTS and CLIENT_CALLS
    assert len(DOCKER_RUNS) >= 2
    assert any("--model_config_file" in " ".join(argv) for argv in DOCKER_RUNS)


def test_each_export_writes_a_version_where_the_readme_says(kit):
    savedmodels = [argv for argv in EXPORTS if not any(arg.startswith("--format=") and arg != "--format=savedmodel"
                                                       for arg in argv)]
    assert savedmodels
    for argv in savedmodels:
        export_dir = next(arg.split("=", 1)[1] for arg in argv if arg.startswith("--export_dir="))
        assert versions(os.path.join(kit, export_dir)) == [1]


@pytest.mark.parametrize("argv", DOCKER_RUNS, ids=[f"docker{i}" for i in range(len(DOCKER_RUNS))])
def test_each_docker_run_mounts_what_exists_and_finds_every_model(kit, argv):
    assert docker_problems(argv, kit) == []
    models, _ = served(docker_run(argv, kit))
    assert models


def test_the_docker_checks_catch_a_wrong_mount(kit, tmp_path):
    config_under_models = shlex.split('docker run -v "$PWD/export/models:/models" tensorflow/serving '
                                      "--model_config_file=/models/models.config")  # the config is not there
    assert docker_problems(config_under_models, kit) == [
        f"--model_config_file=/models/models.config: not a file in the container (host: {kit}/export/models/"
        "models.config)"]
    typo = shlex.split('docker run -v "$PWD/export/model/starry_night:/models/starry_night" '
                       "-e MODEL_NAME=starry_night tensorflow/serving")
    assert docker_problems(typo, kit)[0] == f"-v {kit}/export/model/starry_night: does not exist"
    (tmp_path / "models.config").write_text('model_config_list { config { name: "my_style" '
                                            'base_path: "/export/models/my_style" model_platform: "tensorflow" } }')
    unexported = shlex.split(f'docker run -v "$PWD/export:/export" -v "{tmp_path}:/config" tensorflow/serving '
                             "--model_config_file=/config/models.config")
    assert docker_problems(unexported, kit) == [
        f"model my_style: /export/models/my_style is {kit}/export/models/my_style, which holds no numbered version"]


def client_flags():
    """The flags export/client.py defines, from its --help."""
    done = subprocess.run([sys.executable, os.path.join(KIT, "client.py"), "--help"], capture_output=True,
                          text=True, timeout=120)
    return set(re.findall(r"^\s+--(?:\[no\])?(\w+):", done.stdout, re.M))


def test_each_client_call_uses_its_flags_a_served_model_and_a_published_port(kit):
    defined = client_flags()
    assert {"server", "protocol", "model", "version", "input", "output", "timeout"} <= defined
    runs = [docker_run(argv, kit) for argv in DOCKER_RUNS]
    models = set().union(*(served(run)[0] for run in runs))
    for argv in CLIENT_CALLS:
        assert argv[1] == "export/client.py" and os.path.isfile(os.path.join(kit, argv[1])), argv
        given = dict(arg[2:].split("=", 1) for arg in argv[2:])
        assert set(given) <= defined, argv
        assert given["model"] in models, argv
        port = int(given["server"].rsplit(":", 1)[1])
        assert any(run.ports.get(port) == PORTS[given.get("protocol", "rest")] for run in runs), argv


def test_the_serving_extra_installs_what_the_client_imports():
    extra = re.search(r"pip install 'kstyle\[(\w+)\]'`\s+for\s+`requests`", README).group(1)
    setup = configparser.ConfigParser()
    setup.read(os.path.join(ROOT, "setup.cfg"))
    assert set(setup["options.extras_require"][extra].split()) >= {"requests", "grpcio", "tensorflow-serving-api"}
