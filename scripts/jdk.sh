# Sourced by ./llmri and ./run-tests: finds a JDK 25 and exports JAVA_HOME, or says what to install.
find_jdk25() {
  local cand v
  for cand in "${JAVA_HOME:-}" /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    [ -n "$cand" ] && [ -x "$cand/bin/javac" ] || continue
    v=$("$cand/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ "${v%%.*}" -ge 25 ] 2>/dev/null; then export JAVA_HOME="$cand"; return 0; fi
  done
  echo "llmri: needs a JDK 25 or newer (with javac). Install one, e.g. 'apt-get install temurin-25-jdk'" \
       "or download from https://adoptium.net, then set JAVA_HOME to it." >&2
  return 1
}
