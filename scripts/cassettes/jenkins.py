"""Jenkins cassettes, from the real example bodies of jenkins and other real captures (see _lib.py).

Beyond the reference files, three real bodies are used verbatim:
- two builds captured by Apache DevLake from a live Jenkins (its e2e fixture
  backend/plugins/jenkins/e2e/raw_tables/_raw_jenkins_api_builds.csv, rows 93 and 94): the
  only real builds found that carry a Git ``lastBuiltRevision`` and a job nested in folders;
- Jetty's 401 page that Jenkins sent for a refused token, quoted in
  https://github.com/alefragnani/vscode-jenkins-status/issues/34;
- Jetty's 404 page from Jenkins, quoted in https://github.com/github/hubot-scripts/issues/1662.
"""

from urllib.parse import urlencode

from _lib import interaction, reference, write

LOCAL = "http://localhost:8080"
SELF_HOSTED = "https://ci.example.com/jenkins"
FOLDERS = "/job/Test-jenkins-dir/job/test-jenkins-sub-dir/job/test-sub-sub-dir/job/devlake"
JSON = {"Content-Type": "application/json;charset=utf-8"}
TREE = ("number,id,url,displayName,fullDisplayName,building,result,timestamp,duration,"
        "estimatedDuration,queueId,actions[_class,causes[_class],lastBuiltRevision[SHA1,branch[name]]]")

# DevLake rows 93 and 94 (builds #31 and #21 of the same job, newest first), byte for byte.
DEVLAKE_31 = (
    '{"_class":"hudson.model.FreeStyleBuild","actions":[{"_class":"hudson.model.CauseAction",'
    '"causes":[{"_class":"hudson.model.Cause$UserIdCause","shortDescription":"Started by user 思码逸",'
    '"userId":"merico","userName":"思码逸"}]},{"_class":"hudson.plugins.git.util.BuildData",'
    '"lastBuiltRevision":{"SHA1":"0f886c74949c3ee7e489188911c7dc0c1d547418","branch":[{"name":'
    '"refs/remotes/origin/main"}]},"remoteUrls":["https://github.com/merico-dev/lake.git"]},{},{},'
    '{"_class":"org.jenkinsci.plugins.displayurlapi.actions.RunDisplayAction"}],"duration":1587,'
    '"estimatedDuration":1457,"fullDisplayName":"Test-jenkins-dir » test-jenkins-sub-dir » '
    'test-sub-sub-dir » devlake #31","number":31,"result":"SUCCESS","timestamp":1650024049161,'
    '"changeSet":{"_class":"hudson.plugins.git.GitChangeSetList","kind":"git"}}'
)
DEVLAKE_21 = (
    '{"_class":"hudson.model.FreeStyleBuild","actions":[{"_class":"hudson.model.CauseAction",'
    '"causes":[{"_class":"hudson.model.Cause$UserIdCause","shortDescription":"Started by user 思码逸",'
    '"userId":"merico","userName":"思码逸"}]},{"_class":"hudson.plugins.git.util.BuildData",'
    '"lastBuiltRevision":{"SHA1":"0f886c74949c3ee7e489188911c7dc0c1d547418","branch":[{"name":'
    '"refs/remotes/origin/main"}]},"remoteUrls":["https://github.com/merico-dev/lake.git"]},{},{},'
    '{"_class":"org.jenkinsci.plugins.displayurlapi.actions.RunDisplayAction"}],"duration":2121,'
    '"estimatedDuration":1457,"fullDisplayName":"Test-jenkins-dir » test-jenkins-sub-dir » '
    'test-sub-sub-dir » devlake #21","number":21,"result":"SUCCESS","timestamp":1650022548450}'
)
UNAUTHORIZED_PAGE = """<html>
<head>
<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>
<title>Error 401 Invalid password/token for user: anonymous</title>
</head>
<body><h2>HTTP ERROR 401</h2>
<p>Problem accessing /job/ANLAB-KAIST/job/jenkins_build_test/job/master/api/json. Reason:
<pre>    Invalid password/token for user: anonymous</pre></p><hr><a href="http://eclipse.org/jetty">Powered by Jetty:// 9.4.z-SNAPSHOT</a><hr/>

</body>
</html>
"""
NOT_FOUND_PAGE = """<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"/>
<title>Error 404 Not Found</title>
</head>
<body><h2>HTTP ERROR 404</h2>
<p>Problem accessing /job/synduit/build. Reason:
<pre>    Not Found</pre></p><hr /><i><small>Powered by Jetty://</small></i><br/>
</body>
</html>
"""


def builds(*items: str) -> str:
    """A job filtered to ``allBuilds`` (the wrapper of reference list.json) around real builds."""
    return '{"_class":"hudson.model.FreeStyleProject","allBuilds":[' + ",".join(items) + "]}"


def listing(root: str, job_path: str, start: int, end: int) -> str:
    return f"{root}{job_path}/api/json?" + urlencode({"tree": f"allBuilds[{TREE}]{{{start},{end}}}"})


write(
    "jenkins",
    "get_job",
    "Body: a FreeStyleBuild recorded by the ujenkins client's tests (reference job.json).",
    [interaction(f"{LOCAL}/job/jobbb/14/api/json", reference("jenkins", "job.json"), headers=JSON)],
)
write(
    "jenkins",
    "get_job_folders",
    "Body: build #31 of a job nested three folders deep, as Apache DevLake captured it from a\n"
    "live Jenkins (its e2e fixture _raw_jenkins_api_builds.csv, row 93). DevLake asked with its\n"
    "own tree, so the body has no `building` field; it is served here from a self-hosted root\n"
    "with a context path (https://ci.example.com/jenkins).",
    [interaction(f"{SELF_HOSTED}{FOLDERS}/31/api/json", DEVLAKE_31, headers=JSON)],
)
write(
    "jenkins",
    "not_found",
    "Body: the Jetty 404 page a Jenkins sent, as quoted in github/hubot-scripts#1662, up to\n"
    "its first <br/>; the padding <br/> lines after it are left out and the closing tags are ours.",
    [interaction(f"{LOCAL}/job/jobbb/999/api/json", NOT_FOUND_PAGE, status=404, message="Not Found",
                 headers={"Content-Type": "text/html; charset=ISO-8859-1"})],
)
write(
    "jenkins",
    "bad_credentials",
    "Body: the Jetty 401 page a Jenkins sent for a refused API token, as quoted in\n"
    "alefragnani/vscode-jenkins-status#34 (it names the path that was asked for there).",
    [interaction(f"{LOCAL}/job/jobbb/14/api/json", UNAUTHORIZED_PAGE, status=401,
                 message="Unauthorized",
                 headers={"Content-Type": "text/html;charset=utf-8",
                          "WWW-Authenticate": 'Basic realm="Jenkins"'})],
)
write(
    "jenkins",
    "list_jobs",
    "Bodies: builds #31 and #21 (newest first) of one job, as Apache DevLake captured them (rows\n"
    "93 and 94 of _raw_jenkins_api_builds.csv), one per page with a tree range of one build, then\n"
    "the empty page after the last build. The allBuilds wrapper is reference list.json's.",
    [
        interaction(listing(SELF_HOSTED, FOLDERS, 0, 1), builds(DEVLAKE_31), headers=JSON),
        interaction(listing(SELF_HOSTED, FOLDERS, 1, 2), builds(DEVLAKE_21), headers=JSON),
        interaction(listing(SELF_HOSTED, FOLDERS, 2, 3), builds(), headers=JSON),
    ],
)
write(
    "jenkins",
    "list_short",
    "Body: a job filtered to allBuilds[number,url], recorded by ujenkins' tests (reference\n"
    "list.json); one build, fewer than the page size, so it is the last page.",
    [interaction(listing(LOCAL, "/job/jobbb", 0, 100), reference("jenkins", "list.json"),
                 headers=JSON)],
)
write(
    "jenkins",
    "list_empty",
    "Body: constructed: reference list.json's wrapper with no builds (a job never built).",
    [interaction(listing(LOCAL, "/job/jobbb", 0, 100), builds(), headers=JSON)],
)

# The Pipeline: Stage View plugin's REST API (wfapi), after the example in its README
# (jenkinsci/pipeline-stage-view-plugin, rest-api/README.md): a build paused at its third stage.
DESCRIBE = """{
  "_links": {"self": {"href": "/job/pipe/16/wfapi/describe"}},
  "id": "16",
  "name": "#16",
  "status": "PAUSED_PENDING_INPUT",
  "startTimeMillis": 1413461275770,
  "endTimeMillis": 1413461285999,
  "durationMillis": 10229,
  "queueDurationMillis": 0,
  "pauseDurationMillis": 0,
  "stages": [
    {"_links": {"self": {"href": "/job/pipe/16/execution/node/5/wfapi/describe"}},
     "id": "5", "name": "Build", "execNode": "", "status": "SUCCESS",
     "startTimeMillis": 1413461275770, "durationMillis": 5228, "pauseDurationMillis": 0},
    {"_links": {"self": {"href": "/job/pipe/16/execution/node/8/wfapi/describe"}},
     "id": "8", "name": "Test", "execNode": "", "status": "FAILED",
     "startTimeMillis": 1413461280998, "durationMillis": 4994, "pauseDurationMillis": 0,
     "error": {"message": "script returned exit code 1", "type": "hudson.AbortException"}},
    {"_links": {"self": {"href": "/job/pipe/16/execution/node/10/wfapi/describe"}},
     "id": "10", "name": "Deploy", "execNode": "", "status": "PAUSED_PENDING_INPUT",
     "startTimeMillis": 1413461285992, "durationMillis": 7, "pauseDurationMillis": 0}
  ]
}
"""
write(
    "jenkins",
    "steps",
    "Body: constructed after the example in the Pipeline: Stage View plugin's REST API README\n"
    "(jenkinsci/pipeline-stage-view-plugin, rest-api/README.md), one stage changed to FAILED.",
    [interaction(f"{LOCAL}/job/pipe/16/wfapi/describe", DESCRIBE, headers=JSON)],
)
write(
    "jenkins",
    "log",
    "Body: constructed: the console text of a freestyle build as Jenkins prints it (consoleText\n"
    "is plain text, no markup).",
    [interaction(f"{LOCAL}/job/jobbb/14/consoleText",
                 "Started by user admin\nRunning as SYSTEM\nBuilding in workspace "
                 "/var/jenkins_home/workspace/jobbb\nFinished: SUCCESS\n",
                 headers={"Content-Type": "text/plain;charset=utf-8"})],
)
