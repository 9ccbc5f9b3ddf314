import { describe, expect, it } from '@jest/globals';
import { formatOfPath, xmlDocument, xmlElement, xmlText } from './open311.format.js';

describe('GeoReport XML writer', () => {
  it('escapes markup and drops characters XML 1.0 cannot carry', () => {
    expect(xmlText(`a<b>&"c"'d'`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;');
    expect(xmlText('x\u0001\u0008y\u000Bz\tok\n')).toBe('xyz\tok\n');
    expect(xmlText('\uFFFE\uD800中文😀')).toBe('中文😀');
  });

  it('writes lists by the Spark convention, null and empty lists as empty elements, values as text', () => {
    expect(xmlElement('services', [{ service_code: '0901', metadata: false, description: null }, { service_code: '0902', metadata: true, description: 'x' }]))
      .toBe('<services><service><service_code>0901</service_code><metadata>false</metadata><description/></service>'
        + '<service><service_code>0902</service_code><metadata>true</metadata><description>x</description></service></services>');
    expect(xmlElement('service_definition', { service_code: '0901', attributes: [] })).toBe('<service_definition><service_code>0901</service_code><attributes/></service_definition>');
    expect(xmlElement('errors', [{ code: 404, description: 'no <such> thing' }])).toBe('<errors><error><code>404</code><description>no &lt;such&gt; thing</description></error></errors>');
    expect(xmlElement('formats', ['text/xml', 'application/json'])).toBe('<formats><format>text/xml</format><format>application/json</format></formats>');
    expect(xmlElement('request', { lat: 30.123456789, long: -119.5 })).toBe('<request><lat>30.123456789</lat><long>-119.5</long></request>');
  });

  it('declares UTF-8 before the root element', () => {
    expect(xmlDocument('service_requests', [])).toBe('<?xml version="1.0" encoding="utf-8"?>\n<service_requests/>\n');
  });

  it('reads the format from the last suffix of the path, XML by default', () => {
    expect(formatOfPath('/open311/v2/services.json')).toBe('json');
    expect(formatOfPath('/open311/v2/requests/3305.xml?x=.json')).toBe('xml');
    expect(formatOfPath('/open311/v2/services.JSON')).toBe('json');
    expect(formatOfPath('/open311/v2/services')).toBe('xml');
    expect(formatOfPath('/open311/v2/services.csv')).toBe('xml');
  });
});
